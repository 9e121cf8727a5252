#!/usr/bin/env Rscript
# Reference values for evident's methods beyond the pooled fit, computed by R's metafor:
# meta-regression (rma with mods, predict, confint, permutest), subgroup analyses, leave-one-out,
# influence diagnostics, cumulative meta-analysis, Baujat coordinates, and the small-study and
# publication bias methods (regtest, ranktest, trimfill, fsn).
#
#   Rscript tests/reference/generate_methods.R OUTDIR   writes OUTDIR/data/*.csv, OUTDIR/expected/*.json
#   Rscript tests/reference/generate_methods.R --check  regenerates into a temporary folder and
#                                                       compares; exit status 1 on drift
#
# Inputs: data/bcg.csv and data/egger2001.csv are written and checked by generate.R (this script
# reads them from the committed folder); data/bangertdrowns2004.csv is written here. File formats,
# number formatting and the --check comparison are those of generate.R (see README.md).

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")
level <- 95
rma_control <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
check_rel_tol <- 1e-9
check_abs_tol <- 1e-12

# ---------------------------------------------------------------------------------------------
# Formatting and JSON values, as generate.R.

format_number <- function(x) {
  if (is.integer(x)) return(ifelse(is.na(x), NA_character_, sprintf("%d", x)))
  vapply(x, function(v) {
    if (is.na(v)) return(NA_character_)
    if (!is.finite(v)) stop("non-finite number ", v)
    for (digits in 15:16) {
      s <- sprintf("%.*g", digits, v)
      if (as.numeric(s) == v) return(s)
    }
    sprintf("%.17g", v)
  }, character(1), USE.NAMES = FALSE)
}

json_value <- function(s) structure(s, class = "json")
num <- function(x) {
  if (is.null(x) || length(x) == 0 || is.na(x)) return(json_value("null"))
  stopifnot(length(x) == 1)
  json_value(format_number(unname(x)))
}
interval <- function(lb, ub) list(num(lb), num(ub))
nums <- function(x) lapply(unname(x), num)

write_csv <- function(d, path) {
  cols <- lapply(d, function(col) {
    if (is.character(col)) {
      ifelse(is.na(col), "", paste0("\"", gsub("\"", "\"\"", col, fixed = TRUE), "\""))
    } else {
      s <- format_number(col)
      ifelse(is.na(s), "", s)
    }
  })
  lines <- c(paste(names(d), collapse = ","), do.call(paste, c(cols, sep = ",")))
  con <- file(path, open = "wb")
  on.exit(close(con))
  writeLines(lines, con, sep = "\n")
}

write_json_file <- function(doc, path) {
  json <- toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE,
                 json_verbatim = TRUE)
  con <- file(path, open = "wb")
  writeLines(json, con, sep = "\n")
  close(con)
}

generator_string <- function() {
  sprintf("metafor %s / metadat %s / R %s", packageVersion("metafor"), packageVersion("metadat"),
          paste(R.version$major, R.version$minor, sep = "."))
}

# Runs `f`, recording a metafor warning or error in the case instead of stopping.
run_case <- function(args, f, name = NULL) {
  warnings <- character()
  result <- withCallingHandlers(
    tryCatch(f(), error = function(e) structure(list(message = conditionMessage(e)),
                                                class = "failed")),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  case <- list()
  if (!is.null(name)) case$name <- name
  case$args <- as.list(args)
  if (inherits(result, "failed")) {
    case$error <- result$message
    message("  ERROR   ", paste(args, collapse = " "), ": ", result$message)
  } else {
    case$expected <- result$expected
    if (!is.null(result$absolute_tolerance)) case$absolute_tolerance <- result$absolute_tolerance
    if (!is.null(result$notes)) case$notes <- result$notes
  }
  if (length(warnings) > 0) case$warning <- paste(unique(warnings), collapse = "; ")
  case
}

# ---------------------------------------------------------------------------------------------
# Input data.

bangertdrowns2004 <- function() {
  d <- dat.bangertdrowns2004
  data.frame(study = paste(d$author, d$year), yi = as.vector(d$yi), vi = as.vector(d$vi),
             ni = d$ni, length = d$length, wic = d$wic, feedback = d$feedback, info = d$info,
             pers = d$pers, imag = d$imag, meta = d$meta, grade = d$grade)
}

read_input <- function(dir, csv) read.csv(file.path(dir, csv), stringsAsFactors = FALSE)

effects <- function(d, measure) {
  if (measure == "GEN") return(escalc(measure = "GEN", yi = d$yi, vi = d$vi, data = d))
  args <- c(list(measure = measure, data = d),
            as.list(d[intersect(names(d), c("ai", "bi", "ci", "di", "n1i", "n2i"))]))
  do.call(escalc, args)
}

measure_args <- function(measure) if (measure == "GEN") character() else c("--measure", measure)

# ---------------------------------------------------------------------------------------------
# Meta-regression: `evident fit --mods`.

coefficients_json <- function(res, test) {
  lapply(seq_along(res$beta), function(j) {
    e <- list(name = rownames(res$beta)[j], estimate = num(res$beta[j]), se = num(res$se[j]))
    e[[if (test == "knha") "tval" else "zval"]] <- num(res$zval[j])
    c(e, list(pval = num(res$pval[j]), ci_lb = num(res$ci.lb[j]), ci_ub = num(res$ci.ub[j])))
  })
}

# `predict` is a list of list(cli = "a=1,b=x", data = data.frame(a = 1, b = "x")).
# `order` lists the coefficient names in evident's order when it differs from R's.
metareg_expected <- function(es, formula, method, test, predict = list(), order = NULL) {
  res <- rma(yi, vi, mods = formula, data = es, method = method, test = test, level = level,
             control = rma_control)
  is_fe <- method == "FE"
  coefficients <- coefficients_json(res, test)
  if (!is.null(order)) coefficients <- coefficients[match(order, rownames(res$beta))]
  e <- list(method = method, test = test, k = res$k, p = res$p, coefficients = coefficients)
  if (test == "knha") e$df <- num(res$ddf)
  e$QM <- num(res$QM)
  e$QM_df <- num(res$QMdf[1])
  if (test == "knha") e$QM_ddf <- num(res$QMdf[2])
  e$QM_p <- num(res$QMp)
  e$QE <- num(res$QE)
  e$QE_df <- num(res$k - res$p)
  e$QE_p <- num(res$QEp)
  e$R2 <- num(res$R2)
  e$tau2 <- num(res$tau2)
  e$tau2_se <- num(if (is_fe) NA else res$se.tau2)
  e$I2 <- num(res$I2)
  e$H2 <- num(res$H2)
  if (!is_fe) {
    ci <- confint(res, control = list(tol = 1e-12, tau2.max = max(100, 1000 * var(res$yi))))
    stopifnot(!ci$ci.null, ci$ub.sign != ">", ci$lb.sign != ">")
    e$tau2_ci <- interval(ci$random["tau^2", "ci.lb"], ci$random["tau^2", "ci.ub"])
    e$I2_ci <- interval(ci$random["I^2(%)", "ci.lb"], ci$random["I^2(%)", "ci.ub"])
    e$H2_ci <- interval(ci$random["H^2", "ci.lb"], ci$random["H^2", "ci.ub"])
  }
  if (length(predict) > 0) {
    e$predictions <- lapply(predict, function(pt) {
      # The design row of the point: the last row of the model matrix of the data and the point
      # (so factors keep the data's levels).
      nd <- pt$data
      all <- rbind(as.data.frame(es)[, names(nd), drop = FALSE], nd)
      x0 <- model.matrix(formula, data = all)[nrow(all), , drop = FALSE]
      pr <- predict(res, newmods = if (res$int.incl) x0[, -1, drop = FALSE] else x0)
      list(pred = num(pr$pred), se = num(pr$se), ci_lb = num(pr$ci.lb), ci_ub = num(pr$ci.ub),
           pi_lb = num(if (is_fe) NA else pr$pi.lb), pi_ub = num(if (is_fe) NA else pr$pi.ub))
    })
  }
  fitted_values <- fitted(res)
  weights_pct <- weights(res)
  e$studies <- lapply(seq_len(res$k), function(i) {
    list(yi = num(res$yi[i]), vi = num(res$vi[i]), weight = num(weights_pct[i]),
         fitted = num(fitted_values[i]))
  })
  list(expected = e)
}

metareg_sets <- function() {
  bcg_points <- function(...) list(...)
  list(
    list(file = "metareg_bcg_RR", input = "data/bcg.csv", measure = "RR", sets = list(
      list(name = "ablat", mods = "ablat", formula = ~ablat,
           predict = list(list(cli = "ablat=10", data = data.frame(ablat = 10)),
                          list(cli = "ablat=50", data = data.frame(ablat = 50)))),
      list(name = "year", mods = "year", formula = ~year),
      list(name = "alloc", mods = "alloc", formula = ~alloc,
           predict = list(list(cli = "alloc=systematic",
                               data = data.frame(alloc = "systematic")))),
      list(name = "ablat_alloc", mods = "ablat,alloc", formula = ~ablat + alloc,
           predict = list(list(cli = "ablat=30,alloc=random",
                               data = data.frame(ablat = 30, alloc = "random")))),
      list(name = "ablat_year", mods = "ablat,year", formula = ~ablat + year),
      list(name = "ablat_x_alloc", mods = "ablat*alloc", formula = ~ablat * alloc,
           predict = list(list(cli = "ablat=20,alloc=alternate",
                               data = data.frame(ablat = 20, alloc = "alternate")))),
      # R's coding rules: a factor in an interaction whose margin is absent gets every level;
      # terms ordered by degree; the intercept removed by `- 1` (R formula syntax, with '+').
      list(name = "ablat_in_alloc", mods = "ablat:alloc", formula = ~ablat:alloc,
           predict = list(list(cli = "ablat=20,alloc=random",
                               data = data.frame(ablat = 20, alloc = "random")))),
      list(name = "alloc_by_ablat", mods = "alloc:ablat,alloc", formula = ~alloc:ablat + alloc),
      list(name = "alloc_cells", mods = "alloc - 1", formula = ~alloc - 1,
           predict = list(list(cli = "alloc=random", data = data.frame(alloc = "random")))),
      # (Not `0 + ablat`: a regression through the origin, whose columns do not hold the
      # constant, is where metafor fits the mean-centred yi for QE and tau2; evident does not.)
      list(name = "ablat_alloc_no_intercept", mods = "~ ablat + alloc - 1",
           formula = ~ablat + alloc - 1)
    )),
    list(file = "metareg_bangertdrowns2004_GEN", input = "data/bangertdrowns2004.csv",
         measure = "GEN", sets = list(
      list(name = "all", mods = "length,wic,feedback,info,pers,imag,meta",
           formula = ~length + wic + feedback + info + pers + imag + meta),
      list(name = "grade", mods = "factor(grade)", formula = ~factor(grade),
           predict = list(list(cli = "grade=3", data = data.frame(grade = 3)))),
      list(name = "length_x_meta", mods = "length:meta,length,meta",
           formula = ~length:meta + length + meta)
    ))
  )
}

generate_metareg <- function(outdir, input_dir) {
  for (spec in metareg_sets()) {
    d <- read_input(input_dir, spec$input)
    es <- effects(d, spec$measure)
    cases <- list()
    for (set in spec$sets) for (method in methods) for (test in tests) {
      predict <- if (is.null(set$predict)) list() else set$predict
      args <- c(measure_args(spec$measure), "--mods", set$mods, "--method", method,
                "--test", test, unlist(lapply(predict, function(p) c("--predict", p$cli))))
      cases[[length(cases) + 1]] <- run_case(
        args, function() metareg_expected(es, set$formula, method, test, predict, set$order),
        name = paste(set$name, method, test, sep = "_"))
    }
    # The reference level chosen with --ref.
    if (spec$measure == "RR") {
      es_ref <- es
      es_ref$alloc <- relevel(factor(es_ref$alloc), ref = "random")
      for (test in tests) {
        cases[[length(cases) + 1]] <- run_case(
          c("--measure", "RR", "--mods", "ablat,alloc", "--ref", "alloc=random", "--method",
            "REML", "--test", test),
          function() metareg_expected(es_ref, ~ablat + alloc, "REML", test),
          name = paste("ref_random_REML", test, sep = "_"))
      }
    }
    write_doc(outdir, spec$file, spec$input, cases)
  }
}

# ---------------------------------------------------------------------------------------------
# Subgroups: `evident fit --subgroup COL [--tau2 separate|common]`.

subgroup_expected <- function(es, column, method, test, tau2) {
  g <- es[[column]]
  levels <- sort(unique(g))
  per <- lapply(levels, function(l) {
    rma(yi, vi, data = es[g == l, ], method = method, test = test, level = level,
        control = rma_control)
  })
  overall <- rma(yi, vi, data = es, method = method, test = test, level = level,
                 control = rma_control)
  e <- list(k = nrow(es), estimate = num(overall$beta[1]), tau2 = num(overall$tau2))
  if (tau2 == "separate") {
    subgroups <- lapply(seq_along(levels), function(i) {
      r <- per[[i]]
      pr <- predict(r)
      s <- list(level = levels[i], k = r$k, estimate = num(r$beta[1]), se = num(r$se))
      s[[if (test == "knha") "tval" else "zval"]] <- num(r$zval)
      c(s, list(pval = num(r$pval), ci_lb = num(r$ci.lb), ci_ub = num(r$ci.ub),
                pi_lb = num(if (method == "FE") NA else pr$pi.lb),
                pi_ub = num(if (method == "FE") NA else pr$pi.ub),
                tau2 = num(r$tau2), I2 = num(r$I2), H2 = num(r$H2), Q = num(r$QE),
                Q_df = num(r$k - 1), Q_p = num(r$QEp)))
    })
    # Test for subgroup differences: Cochran's Q of the subgroup estimates.
    est <- sapply(per, function(r) c(r$beta))
    se <- sapply(per, function(r) r$se)
    between <- rma(est, sei = se, method = "FE")
    test_json <- list(tau2 = "separate", Q = num(between$QE), df = num(length(levels) - 1),
                      p = num(between$QEp))
  } else {
    es$group <- factor(g, levels = levels)
    res <- rma(yi, vi, mods = ~group, data = es, method = method, test = test, level = level,
               control = rma_control)
    cell <- rma(yi, vi, mods = ~group - 1, data = es, method = method, test = test,
                level = level, control = rma_control)
    pr <- predict(cell, newmods = diag(length(levels)))
    subgroups <- lapply(seq_along(levels), function(i) {
      s <- list(level = levels[i], k = per[[i]]$k, estimate = num(cell$beta[i]),
                se = num(cell$se[i]))
      s[[if (test == "knha") "tval" else "zval"]] <- num(cell$zval[i])
      c(s, list(pval = num(cell$pval[i]), ci_lb = num(cell$ci.lb[i]),
                ci_ub = num(cell$ci.ub[i]),
                pi_lb = num(if (method == "FE") NA else pr$pi.lb[i]),
                pi_ub = num(if (method == "FE") NA else pr$pi.ub[i]),
                tau2 = num(res$tau2), Q = num(per[[i]]$QE), Q_df = num(per[[i]]$k - 1),
                Q_p = num(per[[i]]$QEp)))
    })
    test_json <- list(tau2 = "common", Q = num(res$QM), df = num(res$QMdf[1]))
    if (test == "knha") test_json$ddf <- num(res$QMdf[2])
    test_json$p <- num(res$QMp)
    test_json$tau2_common <- num(res$tau2)
  }
  e$subgroups <- subgroups
  e$subgroup_test <- test_json
  list(expected = e)
}

generate_subgroups <- function(outdir, input_dir) {
  d <- read_input(input_dir, "data/bcg.csv")
  es <- effects(d, "RR")
  cases <- list()
  for (tau2 in c("separate", "common")) for (method in methods) for (test in tests) {
    args <- c("--measure", "RR", "--subgroup", "alloc", "--tau2", tau2, "--method", method,
              "--test", test)
    cases[[length(cases) + 1]] <- run_case(
      args, function() subgroup_expected(es, "alloc", method, test, tau2),
      name = paste(tau2, method, test, sep = "_"))
  }
  write_doc(outdir, "subgroups_bcg_RR", "data/bcg.csv", cases)
}

# Subgroups by an arm-level variable with multi-arm trials (dat.pagliaro1992: beta-blockers and
# sclerotherapy against control, two three-arm trials). The subgroups are formed before the
# shared control arms are handled: each comparison lands in its own subgroup and each subgroup is
# that subgroup analysed alone (with --multiarm split, the shared control divided between the
# trial's comparisons); the overall result counts each control once (the experimental arms of a
# three-arm trial combined, or the control split).
pagliaro1992 <- function() {
  d <- dat.pagliaro1992
  rows <- list()
  for (s in unique(d$study)) {
    arms <- d[d$study == s, ]
    control <- arms[arms$trt == "control", ]
    for (i in which(arms$trt != "control")) {
      rows[[length(rows) + 1]] <- data.frame(
        study = sprintf("Study %d %s", s, arms$trt[i]), trial = sprintf("Study %d", s),
        trt = arms$trt[i], ai = arms$xi[i], n1i = arms$ni[i], ci = control$xi, n2i = control$ni)
    }
  }
  do.call(rbind, rows)
}

generate_subgroups_multiarm <- function(outdir) {
  d <- pagliaro1992()
  write_csv(d, file.path(outdir, "data", "pagliaro1992.csv"))
  d <- read_input(outdir, "data/pagliaro1992.csv")
  arms <- table(d$trial)[d$trial]  # comparisons of each row's trial
  split <- d
  split$ci <- d$ci / arms
  split$n2i <- d$n2i / arms
  # The overall analysis with each control once: combined arms, or the split rows.
  combined <- do.call(rbind, lapply(split(d, d$trial), function(t) {
    data.frame(trial = t$trial[1], ai = sum(t$ai), n1i = sum(t$n1i), ci = t$ci[1],
               n2i = t$n2i[1])
  }))
  combined <- combined[match(unique(d$trial), combined$trial), ]
  cases <- list()
  for (mode in c("combine", "split")) for (method in c("FE", "DL", "REML")) for (test in tests) {
    rows <- if (mode == "split") split else d
    es <- escalc("OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = rows)
    overall_es <- escalc("OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i,
                         data = if (mode == "split") split else combined)
    args <- c("--measure", "OR", "--subgroup", "trt", "--multiarm", mode, "--method", method,
              "--test", test)
    cases[[length(cases) + 1]] <- run_case(args, function() {
      r <- subgroup_expected(es, "trt", method, test, "separate")
      overall <- rma(yi, vi, data = overall_es, method = method, test = test, level = level,
                     control = rma_control)
      r$expected$k <- overall$k
      r$expected$estimate <- num(overall$beta[1])
      r$expected$tau2 <- num(overall$tau2)
      r
    }, name = paste(mode, method, test, sep = "_"))
  }
  write_doc(outdir, "subgroups_multiarm_pagliaro1992_OR", "data/pagliaro1992.csv", cases)
}

# ---------------------------------------------------------------------------------------------
# Permutation tests: exact (every distinct permutation) and random within Monte Carlo error.

# metafor's permutations (slow in R) and evident's (many more, cheaply): the reference p-value
# has a Monte Carlo error of about sqrt(p (1 - p) / 1000), evident's one of sqrt(p (1 - p) / 20000).
permutation_iterations <- 1000
evident_permutations <- 20000

permutest_expected <- function(es, formula, method, test, iter, seed, exact) {
  res <- rma(yi, vi, mods = formula, data = es, method = method, test = test, level = level,
             control = rma_control)
  pt <- permutest(res, iter = iter, seed = seed, progbar = FALSE)
  stopifnot(pt$exact.iter <= iter || !exact)
  e <- list(permutation = list(exact = exact, QM_p = num(pt$QMp), pval = nums(pt$pval)))
  tol <- NULL
  if (!exact) {
    # Two independent Monte Carlo estimates of the same p-value, from n and m permutations,
    # differ by less than 5 standard deviations, 5 sqrt(p (1 - p) (1 / n + 1 / m)), except with
    # probability 6e-7; 1 / n is added for p near 0 or 1.
    n <- iter
    m <- evident_permutations
    bound <- function(p) 5 * sqrt(p * (1 - p) * (1 / n + 1 / m)) + 1 / n
    tol <- list()
    tol[["permutation.QM_p"]] <- json_value(format_number(bound(pt$QMp)))
    for (j in seq_along(pt$pval)) {
      tol[[sprintf("permutation.pval[%d]", j - 1)]] <- json_value(format_number(bound(pt$pval[j])))
    }
    e$permutation$iterations <- evident_permutations
  } else {
    e$permutation$iterations <- pt$exact.iter
  }
  list(expected = e, absolute_tolerance = tol)
}

generate_permutations <- function(outdir, input_dir) {
  bcg <- effects(read_input(input_dir, "data/bcg.csv"), "RR")
  bcg_cases <- list(
    run_case(c("--measure", "RR", "--mods", "ablat", "--method", "REML", "--test", "z",
               "--permutations", evident_permutations, "--seed", "20261123"),
             function() permutest_expected(bcg, ~ablat, "REML", "z", permutation_iterations,
                                           20261123, FALSE),
             name = "bcg_ablat_random_REML_z"),
    run_case(c("--measure", "RR", "--mods", "ablat,alloc", "--method", "DL", "--test", "knha",
               "--permutations", evident_permutations, "--seed", "7"),
             function() permutest_expected(bcg, ~ablat + alloc, "DL", "knha",
                                           permutation_iterations, 7, FALSE),
             name = "bcg_ablat_alloc_random_DL_knha"))
  # info: 2 of the 46 studies with a value have info = 0, so there are C(46, 2) = 1035 distinct
  # permutations and both programs enumerate them all: the p-values agree exactly.
  bd <- effects(read_input(input_dir, "data/bangertdrowns2004.csv"), "GEN")
  bd_cases <- list(
    run_case(c("--mods", "info", "--method", "REML", "--test", "z", "--permutations", "2000"),
             function() permutest_expected(bd, ~info, "REML", "z", 2000, 1, TRUE),
             name = "bangertdrowns_info_exact_REML_z"))
  write_doc_multi(outdir, "permutest", list(
    list(input = "data/bcg.csv", cases = bcg_cases),
    list(input = "data/bangertdrowns2004.csv", cases = bd_cases)))
}

# ---------------------------------------------------------------------------------------------
# Sensitivity: `evident influence` (leave1out, influence, cumul, baujat).

refit_rows <- function(x, labels, test) {
  lapply(seq_along(labels), function(i) {
    e <- list(study = labels[i], estimate = num(x$estimate[i]), se = num(x$se[i]))
    e[[if (test == "knha") "tval" else "zval"]] <- num(if (test == "knha") x$tval[i] else x$zval[i])
    pv <- if (!is.null(x$pval)) x$pval[i] else x$pvals[i]
    c(e, list(pval = num(pv), ci_lb = num(x$ci.lb[i]), ci_ub = num(x$ci.ub[i]), Q = num(x$Q[i]),
              Q_p = num(x$Qp[i]), tau2 = num(if (is.null(x$tau2)) 0 else x$tau2[i]),
              I2 = num(x$I2[i]), H2 = num(x$H2[i])))
  })
}

# metafor's fit, checked for a higher maximum of the (restricted) likelihood: Fisher scoring can
# stop at a local maximum (dat.bcg in year order, first six studies, ML: tau2 = 0 with
# logLik -3.554, while tau2 = 0.0596 has -3.369). evident finds the global maximum, so the
# reference is metafor's fit started near it (tau2.init), with a note naming the row.
rma_global <- function(yi, vi, method, test) {
  fit0 <- rma(yi, vi, method = method, test = test, level = level, control = rma_control)
  if (!method %in% c("ML", "REML") || length(yi) < 2) return(list(fit = fit0, note = NULL))
  best <- fit0
  for (t0 in 10^seq(-4, 2, by = 0.5)) {
    f <- try(suppressWarnings(rma(yi, vi, method = method, test = test, level = level,
                                  control = c(rma_control, list(tau2.init = t0)))),
             silent = TRUE)
    if (!inherits(f, "try-error") && c(logLik(f)) > c(logLik(best)) + 1e-9) best <- f
  }
  note <- NULL
  if (!identical(best$tau2, fit0$tau2) && c(logLik(best)) > c(logLik(fit0)) + 1e-9) {
    note <- sprintf(paste("metafor's Fisher scoring stopped at tau2 = %s (logLik %s); the",
                          "row is metafor's fit started at tau2.init near tau2 = %s (logLik %s)"),
                    format_number(fit0$tau2), format_number(c(logLik(fit0))),
                    format_number(best$tau2), format_number(c(logLik(best))))
  }
  list(fit = best, note = note)
}

# Rows of leave1out or cumul refitted with rma_global; metafor's own rows where it found the
# global maximum (checked to be the same), the better fit with a note otherwise.
checked_rows <- function(x, subsets, es, method, test) {
  notes <- character()
  for (i in seq_along(subsets)) {
    sub <- subsets[[i]]
    g <- rma_global(es$yi[sub], es$vi[sub], method, test)
    if (is.null(g$note)) {
      stopifnot(isTRUE(all.equal(x$estimate[i], c(g$fit$beta), tolerance = 1e-8)))
      next
    }
    r <- g$fit
    x$estimate[i] <- c(r$beta)
    x$se[i] <- r$se
    if (test == "knha") x$tval[i] <- r$zval else x$zval[i] <- r$zval
    if (!is.null(x$pval)) x$pval[i] <- r$pval else x$pvals[i] <- r$pval
    x$ci.lb[i] <- r$ci.lb
    x$ci.ub[i] <- r$ci.ub
    x$tau2[i] <- r$tau2
    x$I2[i] <- r$I2
    x$H2[i] <- r$H2
    notes <- c(notes, sprintf("row %d: %s", i - 1, g$note))
  }
  list(x = x, notes = notes)
}

influence_expected <- function(es, labels, method, test, formula = NULL, order = NULL) {
  res <- if (is.null(formula)) {
    rma(yi, vi, data = es, slab = labels, method = method, test = test, level = level,
        control = rma_control)
  } else {
    rma(yi, vi, mods = formula, data = es, slab = labels, method = method, test = test,
        level = level, control = rma_control)
  }
  inf <- influence(res)
  e <- list(k = res$k)
  notes <- character()
  if (is.null(formula)) {
    l1 <- checked_rows(leave1out(res), lapply(seq_len(res$k), function(i) -i), es, method, test)
    e$leave1out <- refit_rows(l1$x, labels, test)
    notes <- c(notes, paste("leave1out", l1$notes))[length(l1$notes) > 0]
  }
  e$influence <- lapply(seq_len(res$k), function(i) {
    d <- lapply(seq_len(res$p), function(j) num(inf$dfbs[[j]][i]))
    names(d) <- rownames(res$beta)
    list(study = labels[i], rstudent = num(inf$inf$rstudent[i]), dffits = num(inf$inf$dffits[i]),
         cook_d = num(inf$inf$cook.d[i]), cov_r = num(inf$inf$cov.r[i]),
         tau2_del = num(inf$inf$tau2.del[i]), QE_del = num(inf$inf$QE.del[i]),
         hat = num(inf$inf$hat[i]), weight = num(inf$inf$weight[i]), dfbetas = d,
         inf = inf$inf$inf[i] == "*")
  })
  if (is.null(formula)) {
    cu <- if (is.null(order)) cumul(res) else cumul(res, order = order)
    idx <- if (is.null(order)) seq_len(res$k) else order(order)
    cc <- checked_rows(cu, lapply(seq_len(res$k), function(i) idx[seq_len(i)]), es, method,
                       test)
    e$cumulative <- refit_rows(cc$x, cu$slab, test)
    if (length(cc$notes) > 0) notes <- c(notes, paste("cumulative", cc$notes))
  }
  pdf(NULL)
  b <- baujat(res, progbar = FALSE)
  invisible(dev.off())
  e$baujat <- lapply(seq_len(res$k), function(i) {
    list(study = labels[i], x = num(b$x[i]), y = num(b$y[i]))
  })
  list(expected = e, notes = if (length(notes) > 0) as.list(notes))
}

generate_influence <- function(outdir, input_dir) {
  d <- read_input(input_dir, "data/bcg.csv")
  es <- effects(d, "RR")
  labels <- d$study
  cases <- list()
  for (method in methods) for (test in tests) {
    cases[[length(cases) + 1]] <- run_case(
      c("--measure", "RR", "--method", method, "--test", test, "--order", "year"),
      function() influence_expected(es, labels, method, test, order = es$year),
      name = paste("year", method, test, sep = "_"))
  }
  cases[[length(cases) + 1]] <- run_case(
    c("--measure", "RR", "--method", "REML", "--test", "z"),
    function() influence_expected(es, labels, "REML", "z"), name = "input_order_REML_z")
  for (test in tests) {
    cases[[length(cases) + 1]] <- run_case(
      c("--measure", "RR", "--mods", "ablat", "--method", "REML", "--test", test),
      function() influence_expected(es, labels, "REML", test, formula = ~ablat),
      name = paste("mods_ablat_REML", test, sep = "_"))
  }
  write_doc(outdir, "influence_bcg_RR", "data/bcg.csv", cases, command = "influence")
}

# ---------------------------------------------------------------------------------------------
# Small-study effects and publication bias: `evident bias`.

bias_expected <- function(es, method, test, predictor = "sei", model = "rma",
                          estimator = "L0") {
  res <- rma(yi, vi, data = es, method = method, test = test, level = level,
             control = rma_control)
  e <- list(k = res$k)
  rt <- regtest(res, model = model, predictor = predictor)
  eg <- list(predictor = predictor, model = model)
  t_based <- model == "lm" || test == "knha"
  eg[[if (t_based) "tval" else "zval"]] <- num(rt$zval)
  if (t_based) eg$df <- num(rt$ddf)
  eg$pval <- num(rt$pval)
  eg$limit_estimate <- num(if (is.null(rt$est)) NA else rt$est)
  eg$limit_ci_lb <- num(if (is.null(rt$ci.lb)) NA else rt$ci.lb)
  eg$limit_ci_ub <- num(if (is.null(rt$ci.ub)) NA else rt$ci.ub)
  e$egger <- eg
  rk <- ranktest(res)
  e$begg <- list(tau = num(rk$tau), pval = num(rk$pval))
  # trimfill's inner fits take `...`: tight control, and the test for the final fit.
  tf <- trimfill(res, estimator = estimator, control = rma_control, test = test)
  tfe <- list(estimator = estimator, side = tf$side, k0 = tf$k0, se_k0 = num(tf$se.k0))
  if (estimator == "R0") tfe$p_k0 <- num(tf$p.k0)
  tfe$k <- tf$k
  tfe$estimate <- num(tf$beta[1])
  tfe$se <- num(tf$se)
  tfe[[if (test == "knha") "tval" else "zval"]] <- num(tf$zval)
  tfe <- c(tfe, list(pval = num(tf$pval), ci_lb = num(tf$ci.lb), ci_ub = num(tf$ci.ub),
                     tau2 = num(tf$tau2), I2 = num(tf$I2), Q = num(tf$QE), Q_p = num(tf$QEp)))
  if (tf$k0 > 0) {
    filled <- which(tf$fill)
    tfe$filled <- lapply(seq_along(filled), function(j) {
      list(study = sprintf("Filled %d", j), yi = num(tf$yi[filled[j]]),
           vi = num(tf$vi[filled[j]]))
    })
  } else {
    tfe$filled <- list()
  }
  e$trimfill <- tfe
  fr <- fsn(yi, vi, data = es, type = "Rosenthal")
  fo <- fsn(yi, vi, data = es, type = "Orwin")
  fb <- fsn(yi, vi, data = es, type = "Rosenberg")
  e$fsn <- list(alpha = num(0.05),
                rosenthal = list(fsnum = num(fr$fsnum), pval = num(fr$pval)),
                orwin = list(fsnum = num(fo$fsnum), mean = num(fo$meanes),
                             target = num(fo$target)),
                rosenberg = list(fsnum = num(fb$fsnum), pval = num(fb$pval),
                                 mean = num(fb$meanes)))
  # PET and PEESE: regtest's weighted least squares fits (model "lm"); the rule of evident's
  # documentation applied to them (PEESE when PET's intercept has two-sided p < 0.10).
  pet_fit <- summary(regtest(res, model = "lm", predictor = "sei", ret.fit = TRUE)$fit)
  peese_fit <- summary(regtest(res, model = "lm", predictor = "vi", ret.fit = TRUE)$fit)
  wls <- function(s, crit) {
    cf <- coef(s)
    list(estimate = num(cf[1, 1]), se = num(cf[1, 2]), tval = num(cf[1, 3]),
         df = num(s$df[2]), pval = num(cf[1, 4]),
         ci_lb = num(cf[1, 1] - qt(0.975, s$df[2]) * cf[1, 2]),
         ci_ub = num(cf[1, 1] + qt(0.975, s$df[2]) * cf[1, 2]),
         slope = num(cf[2, 1]), slope_pval = num(cf[2, 4]))
  }
  use_peese <- coef(pet_fit)[1, 4] < 0.10
  chosen <- if (use_peese) peese_fit else pet_fit
  e$pet_peese <- list(method = if (use_peese) "PEESE" else "PET",
                      estimate = num(coef(chosen)[1, 1]), se = num(coef(chosen)[1, 2]),
                      pet = wls(pet_fit), peese = wls(peese_fit))
  list(expected = e)
}

generate_bias <- function(outdir, input_dir) {
  sets <- list(list(stem = "bias_egger2001_OR", input = "data/egger2001.csv", measure = "OR"),
               list(stem = "bias_bcg_RR", input = "data/bcg.csv", measure = "RR"))
  for (set in sets) {
    d <- read_input(input_dir, set$input)
    es <- effects(d, set$measure)
    cases <- list()
    for (method in c("FE", "DL", "REML", "PM")) for (test in tests) {
      cases[[length(cases) + 1]] <- run_case(
        c("--measure", set$measure, "--method", method, "--test", test),
        function() bias_expected(es, method, test), name = paste(method, test, sep = "_"))
    }
    for (predictor in c("vi", "ni", "ninv")) {
      cases[[length(cases) + 1]] <- run_case(
        c("--measure", set$measure, "--predictor", predictor),
        function() bias_expected(es, "REML", "z", predictor = predictor),
        name = paste("predictor", predictor, sep = "_"))
    }
    for (predictor in c("sei", "ni")) {
      cases[[length(cases) + 1]] <- run_case(
        c("--measure", set$measure, "--egger-model", "lm", "--predictor", predictor),
        function() bias_expected(es, "REML", "z", predictor = predictor, model = "lm"),
        name = paste("lm", predictor, sep = "_"))
    }
    for (method in c("FE", "REML")) {
      cases[[length(cases) + 1]] <- run_case(
        c("--measure", set$measure, "--method", method, "--estimator", "R0"),
        function() bias_expected(es, method, "z", estimator = "R0"),
        name = paste("R0", method, sep = "_"))
    }
    write_doc(outdir, set$stem, set$input, cases, command = "bias")
  }
}

# ---------------------------------------------------------------------------------------------

write_doc <- function(outdir, stem, input, cases, command = NULL) {
  doc <- list(generator = generator_string())
  if (!is.null(command)) doc$command <- command
  doc$input <- input
  doc$cases <- cases
  out <- file.path(outdir, "expected", paste0(stem, ".json"))
  write_json_file(doc, out)
  message(sprintf("%-50s %d cases", file.path("expected", basename(out)), length(cases)))
}

# One expected file per input (a file has one input).
write_doc_multi <- function(outdir, stem, parts, command = NULL) {
  for (part in parts) {
    name <- sub("\\.csv$", "", basename(part$input))
    write_doc(outdir, paste0(stem, "_", name), part$input, part$cases, command)
  }
}

generate <- function(outdir, input_dir) {
  dir.create(file.path(outdir, "data"), recursive = TRUE, showWarnings = FALSE)
  dir.create(file.path(outdir, "expected"), recursive = TRUE, showWarnings = FALSE)
  write_csv(bangertdrowns2004(), file.path(outdir, "data", "bangertdrowns2004.csv"))
  # Inputs of this script: its own data files from `outdir`, generate.R's from `input_dir`.
  for (f in c("data/bcg.csv", "data/egger2001.csv")) {
    if (normalizePath(outdir) != normalizePath(input_dir)) {
      file.copy(file.path(input_dir, f), file.path(outdir, f), overwrite = TRUE)
    }
  }
  generate_metareg(outdir, outdir)
  generate_subgroups(outdir, outdir)
  generate_subgroups_multiarm(outdir)
  generate_permutations(outdir, outdir)
  generate_influence(outdir, outdir)
  generate_bias(outdir, outdir)
}

# Files this script writes (the comparison in --check is limited to them).
own_file <- function(sub, f) {
  if (sub == "data") return(f %in% c("bangertdrowns2004.csv", "pagliaro1992.csv"))
  grepl("^(metareg|subgroups|permutest|influence|bias)_", f)
}

# ---------------------------------------------------------------------------------------------
# --check, as generate.R.

numbers_equal <- function(a, b) {
  a == b || abs(a - b) <= max(check_rel_tol * max(abs(a), abs(b)), check_abs_tol)
}

compare_json <- function(a, b, path, diffs) {
  kind <- function(x) {
    if (is.null(x)) "null" else if (is.list(x)) (if (is.null(names(x))) "array" else "object")
    else if (is.character(x)) "string" else if (is.logical(x)) "boolean" else "number"
  }
  ka <- kind(a)
  kb <- kind(b)
  if (ka != kb) return(c(diffs, sprintf("%s: committed is %s, regenerated is %s", path, ka, kb)))
  if (ka == "object") {
    if (!identical(names(a), names(b))) {
      diffs <- c(diffs, sprintf("%s: keys differ: committed [%s], regenerated [%s]", path,
                                paste(names(a), collapse = ", "), paste(names(b), collapse = ", ")))
    }
    for (key in intersect(names(a), names(b))) {
      diffs <- compare_json(a[[key]], b[[key]], paste0(path, ".", key), diffs)
    }
  } else if (ka == "array") {
    if (length(a) != length(b)) {
      diffs <- c(diffs, sprintf("%s: committed has %d elements, regenerated %d", path, length(a),
                                length(b)))
    }
    for (i in seq_len(min(length(a), length(b)))) {
      diffs <- compare_json(a[[i]], b[[i]], sprintf("%s[%d]", path, i - 1), diffs)
    }
  } else if (ka == "number") {
    if (!numbers_equal(a, b)) {
      diffs <- c(diffs, sprintf("%s: committed %s, regenerated %s", path, format_number(a),
                                format_number(b)))
    }
  } else if (ka != "null" && !identical(a, b)) {
    diffs <- c(diffs, sprintf("%s: committed \"%s\", regenerated \"%s\"", path, a, b))
  }
  diffs
}

check <- function(committed) {
  fresh <- tempfile("evident-reference-methods-")
  on.exit(unlink(fresh, recursive = TRUE))
  generate(fresh, committed)
  diffs <- character()
  for (sub in c("data", "expected")) {
    files_a <- Filter(function(f) own_file(sub, f), sort(list.files(file.path(committed, sub))))
    files_b <- Filter(function(f) own_file(sub, f), sort(list.files(file.path(fresh, sub))))
    for (f in setdiff(files_b, files_a)) diffs <- c(diffs, sprintf("%s/%s: not committed", sub, f))
    for (f in setdiff(files_a, files_b)) diffs <- c(diffs, sprintf("%s/%s: not regenerated", sub, f))
    for (f in intersect(files_a, files_b)) {
      path_a <- file.path(committed, sub, f)
      path_b <- file.path(fresh, sub, f)
      if (sub == "data") {
        if (!identical(readLines(path_a, warn = FALSE), readLines(path_b, warn = FALSE)) ||
            file.size(path_a) != file.size(path_b)) {
          diffs <- c(diffs, sprintf("data/%s: text differs", f))
        }
      } else {
        a <- fromJSON(path_a, simplifyVector = FALSE)
        b <- fromJSON(path_b, simplifyVector = FALSE)
        if (!identical(a$generator, b$generator)) {
          message(sprintf("note: expected/%s was made by \"%s\", this run is \"%s\"", f,
                          a$generator, b$generator))
          a$generator <- b$generator
        }
        diffs <- compare_json(a, b, paste0("expected/", f), diffs)
      }
    }
  }
  if (length(diffs) > 0) {
    cat(diffs, sep = "\n")
    cat(sprintf("%d difference(s) from the committed reference files\n", length(diffs)))
    return(1L)
  }
  cat("reference files of generate_methods.R match metafor\n")
  0L
}

script_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg) != 1) stop("run this script with Rscript")
  dirname(normalizePath(sub("^--file=", "", file_arg)))
}

main <- function(argv) {
  if (length(argv) != 1 || argv %in% c("-h", "--help")) {
    cat("usage: Rscript generate_methods.R OUTDIR | --check\n", file = stderr())
    return(2L)
  }
  if (argv == "--check") return(check(script_dir()))
  generate(argv, script_dir())
  0L
}

quit(status = main(commandArgs(trailingOnly = TRUE)))
