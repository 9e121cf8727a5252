#!/usr/bin/env Rscript
# Reference values for evident, computed by R's metafor.
#
#   Rscript tests/reference/generate.R OUTDIR   writes OUTDIR/data/*.csv and OUTDIR/expected/*.json
#   Rscript tests/reference/generate.R --check  regenerates into a temporary folder and compares
#                                               with the committed files; exit status 1 on drift
#
# See README.md next to this script for the file formats.

suppressPackageStartupMessages({
  library(metafor)  # also attaches metadat, the source of the data sets
  library(jsonlite)
})

methods <- c("FE", "DL", "HE", "HS", "SJ", "ML", "REML", "EB", "PM")
tests <- c("z", "knha")
level <- 95
rma_control <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
check_rel_tol <- 1e-9
check_abs_tol <- 1e-12

# ---------------------------------------------------------------------------------------------
# Number formatting: the shortest of 15, 16 or 17 significant digits that reads back as the same
# double. jsonlite's digits = NA stops at 15 digits, which loses the last bits of precision.

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

# ---------------------------------------------------------------------------------------------
# Input data sets, with evident's (metafor's argument) column names.

data_sets <- list(
  bcg = function() {
    d <- dat.bcg
    data.frame(study = paste(d$author, d$year), ai = d$tpos, bi = d$tneg, ci = d$cpos,
               di = d$cneg, year = d$year, ablat = d$ablat, alloc = d$alloc)
  },
  gibson2002 = function() {
    # Two studies report only the dichotomous outcome (no means or SDs); metafor would drop them
    # with a warning, so they are left out here and the reference stays free of missing values.
    d <- dat.gibson2002[!is.na(dat.gibson2002$m1i), ]
    data.frame(study = paste(d$author, d$year), n1i = d$n1i, m1i = d$m1i, sd1i = d$sd1i,
               n2i = d$n2i, m2i = d$m2i, sd2i = d$sd2i)
  },
  konstantopoulos2011 = function() {
    d <- dat.konstantopoulos2011
    data.frame(study = d$study, yi = as.vector(d$yi), vi = as.vector(d$vi),
               district = d$district, school = d$school, year = d$year)
  },
  konstantopoulos2011_sei = function() {
    d <- dat.konstantopoulos2011
    data.frame(study = d$study, yi = as.vector(d$yi), sei = sqrt(as.vector(d$vi)))
  },
  debruin2009 = function() {
    d <- dat.debruin2009
    data.frame(study = paste(d$author, d$year), xi = d$xi, ni = d$ni)
  },
  mcdaniel1994 = function() {
    d <- dat.mcdaniel1994
    data.frame(study = d$study, ri = d$ri, ni = d$ni)
  },
  egger2001 = function() {
    d <- dat.egger2001
    data.frame(study = paste(d$study, d$year), ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i)
  }
)

# Measures fitted per data set; "GEN" means precomputed yi with vi or sei (no --measure).
measures <- list(
  bcg = c("RR", "OR", "RD"),
  gibson2002 = c("MD", "SMD"),
  konstantopoulos2011 = "GEN",
  konstantopoulos2011_sei = "GEN",
  debruin2009 = c("PR", "PLO", "PAS", "PFT"),
  mcdaniel1994 = c("COR", "ZCOR"),
  egger2001 = "OR"
)

# RFC 4180: header, then one line per row; text columns always quoted, quotes doubled, NA empty.
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
  con <- file(path, open = "wb")  # "wb": LF line ends on every platform
  on.exit(close(con))
  writeLines(lines, con, sep = "\n")
}

# ---------------------------------------------------------------------------------------------
# Effect sizes and fits.

escalc_args <- c("ai", "bi", "ci", "di", "n1i", "n2i", "m1i", "m2i", "sd1i", "sd2i", "xi", "ni",
                 "ri")

# escalc object with yi, vi for the data set as read back from its CSV file (escalc defaults).
effect_sizes <- function(d, measure) {
  if (measure == "GEN") {
    if ("vi" %in% names(d)) return(escalc(measure = "GEN", yi = d$yi, vi = d$vi))
    return(escalc(measure = "GEN", yi = d$yi, sei = d$sei))
  }
  do.call(escalc, c(list(measure = measure), as.list(d[intersect(names(d), escalc_args)])))
}

back_transform <- function(measure, d) {
  switch(measure,
         RR = exp,
         OR = exp,
         ZCOR = transf.ztor,
         PLO = transf.ilogit,
         PAS = transf.iarcsin,
         PFT = function(x) transf.ipft.hm(x, targs = list(ni = d$ni)),
         NULL)
}

json_value <- function(s) structure(s, class = "json")
num <- function(x) {
  if (is.null(x) || length(x) == 0 || is.na(x)) return(json_value("null"))
  stopifnot(length(x) == 1)
  json_value(format_number(unname(x)))
}
interval <- function(lb, ub) list(num(lb), num(ub))

# One case: fit, predict, confint, weights; everything under metafor's control settings.
fit_case <- function(d, es, measure, method, test) {
  is_fe <- method == "FE"
  res <- if (measure == "GEN" && "sei" %in% names(d)) {
    # The yi + sei input shape: let rma turn the standard errors into variances itself.
    rma(yi = d$yi, sei = d$sei, method = method, test = test, level = level,
        control = rma_control)
  } else {
    rma(yi, vi, data = es, method = method, test = test, level = level, control = rma_control)
  }
  pred <- predict(res)
  notes <- character()

  random <- NULL
  if (!is_fe) {
    tau2_max <- max(100, 1000 * var(res$yi))
    ci <- confint(res, control = list(tol = 1e-12, tau2.max = tau2_max))
    random <- ci$random
    # Bounds that are not roots of the Q-profile equation, so a reader knows where they came from.
    if (ci$ci.null) {
      notes <- c(notes, paste("confint: Q at tau2 = 0 is below the lower critical value;",
                              "tau2 CI set to [0, 0]"))
    } else if (random["tau^2", "ci.lb"] == 0) {
      notes <- c(notes, paste("confint: Q at tau2 = 0 is below the upper critical value;",
                              "lower bound truncated at 0"))
    }
    if (ci$ub.sign == ">") {
      notes <- c(notes, paste("confint: upper bound stopped at tau2.max =",
                              format_number(tau2_max)))
    }
    if (ci$lb.sign == ">") {
      notes <- c(notes, paste("confint: lower bound stopped at tau2.max =",
                              format_number(tau2_max)))
    }
  }
  random_ci <- function(row) {
    if (is.null(random)) return(json_value("null"))
    interval(random[row, "ci.lb"], random[row, "ci.ub"])
  }

  study_summary <- summary(es, level = level)  # study CIs yi -/+ crit * sqrt(vi)
  weights_pct <- weights(res)
  labels <- as.character(d$study)
  studies <- lapply(seq_len(nrow(d)), function(i) {
    list(study = labels[i], yi = num(res$yi[i]), vi = num(res$vi[i]), weight = num(weights_pct[i]),
         ci_lb = num(study_summary$ci.lb[i]), ci_ub = num(study_summary$ci.ub[i]))
  })
  # Guard: metafor fitted exactly the rows of the CSV, in order (no study silently dropped).
  stopifnot(res$k == nrow(d), all(res$yi == es$yi),
            isTRUE(all.equal(res$vi, as.vector(es$vi), tolerance = 1e-15)))

  pi_lb <- if (is_fe) NA else pred$pi.lb
  pi_ub <- if (is_fe) NA else pred$pi.ub

  expected <- list(
    measure = measure, method = method, test = test, level = level, k = res$k,
    estimate = num(res$beta[1]), se = num(res$se)
  )
  expected[[if (test == "knha") "tval" else "zval"]] <- num(res$zval)
  expected <- c(expected, list(
    pval = num(res$pval), ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub),
    pi_lb = num(pi_lb), pi_ub = num(pi_ub),
    tau2 = num(res$tau2), tau2_se = num(if (is_fe) NA else res$se.tau2), tau = num(sqrt(res$tau2)),
    tau2_ci = random_ci("tau^2"), tau_ci = random_ci("tau"),
    I2 = num(res$I2), I2_ci = random_ci("I^2(%)"),
    H2 = num(res$H2), H2_ci = random_ci("H^2"),
    Q = num(res$QE), Q_df = res$k - 1L, Q_p = num(res$QEp),
    studies = studies
  ))
  transf <- back_transform(measure, d)
  if (!is.null(transf)) {
    apply_transf <- function(x) if (is.na(x)) NA else transf(x)
    expected$back_transformed <- list(
      estimate = num(apply_transf(res$beta[1])), ci_lb = num(apply_transf(res$ci.lb)),
      ci_ub = num(apply_transf(res$ci.ub)), pi_lb = num(apply_transf(pi_lb)),
      pi_ub = num(apply_transf(pi_ub)))
  }
  list(expected = expected, notes = notes)
}

# Runs fit_case, turning a metafor error or warning into a recorded field instead of a crash.
run_case <- function(d, es, measure, method, test) {
  args <- c(if (measure != "GEN") c("--measure", measure), "--method", method, "--test", test)
  warnings <- character()
  result <- withCallingHandlers(
    tryCatch(fit_case(d, es, measure, method, test),
             error = function(e) structure(list(message = conditionMessage(e)), class = "failed")),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
  case <- list(args = as.list(args))
  if (inherits(result, "failed")) {
    case$error <- result$message
    message("  ERROR   ", paste(args, collapse = " "), ": ", result$message)
  } else {
    case$expected <- result$expected
    if (length(result$notes) > 0) case$notes <- as.list(result$notes)
  }
  if (length(warnings) > 0) {
    case$warning <- paste(unique(warnings), collapse = "; ")
    message("  WARNING ", paste(args, collapse = " "), ": ", case$warning)
  }
  case
}

generator_string <- function() {
  sprintf("metafor %s / metadat %s / R %s", packageVersion("metafor"), packageVersion("metadat"),
          paste(R.version$major, R.version$minor, sep = "."))
}

generate <- function(outdir) {
  dir.create(file.path(outdir, "data"), recursive = TRUE, showWarnings = FALSE)
  dir.create(file.path(outdir, "expected"), recursive = TRUE, showWarnings = FALSE)
  for (name in names(data_sets)) {
    csv <- file.path("data", paste0(name, ".csv"))
    write_csv(data_sets[[name]](), file.path(outdir, csv))
    # Compute from the CSV as written, so the reference matches exactly what evident reads.
    d <- read.csv(file.path(outdir, csv), stringsAsFactors = FALSE)
    for (measure in measures[[name]]) {
      es <- effect_sizes(d, measure)
      cases <- list()
      for (method in methods) for (test in tests) {
        cases[[length(cases) + 1]] <- run_case(d, es, measure, method, test)
      }
      doc <- list(generator = generator_string(), input = csv, cases = cases)
      json <- toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                     pretty = TRUE, json_verbatim = TRUE)
      out <- file.path(outdir, "expected", paste0(name, "_", measure, ".json"))
      con <- file(out, open = "wb")
      writeLines(json, con, sep = "\n")
      close(con)
      message(sprintf("%-40s %d cases", file.path("expected", basename(out)), length(cases)))
    }
  }
}

# ---------------------------------------------------------------------------------------------
# --check: compare a fresh generation with the committed files.

numbers_equal <- function(a, b) {
  a == b || abs(a - b) <= max(check_rel_tol * max(abs(a), abs(b)), check_abs_tol)
}

# Appends one line per difference between parsed JSON values a (committed) and b (fresh).
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
  fresh <- tempfile("evident-reference-")
  on.exit(unlink(fresh, recursive = TRUE))
  generate(fresh)
  diffs <- character()
  for (sub in c("data", "expected")) {
    files_a <- sort(list.files(file.path(committed, sub)))
    files_b <- sort(list.files(file.path(fresh, sub)))
    # Files this script does not make belong to other generators (nonconvergence.R, ...), which
    # check them themselves.
    for (f in setdiff(files_b, files_a)) diffs <- c(diffs, sprintf("%s/%s: not committed", sub, f))
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
        # A new R or metafor version alone is not drift; the numbers decide.
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
  cat("reference files match metafor\n")
  0L
}

script_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg) != 1) stop("run this script with Rscript")
  dirname(normalizePath(sub("^--file=", "", file_arg)))
}

main <- function(argv) {
  if (length(argv) != 1 || argv %in% c("-h", "--help")) {
    cat("usage: Rscript generate.R OUTDIR | --check\n", file = stderr())
    return(2L)
  }
  if (argv == "--check") return(check(script_dir()))
  generate(argv)
  0L
}

quit(status = main(commandArgs(trailingOnly = TRUE)))
