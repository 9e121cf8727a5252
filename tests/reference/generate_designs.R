#!/usr/bin/env Rscript
# Reference values for evident's sparse-table, incidence, paired-design and conversion features,
# computed by R's metafor (rma.mh, rma.peto, escalc, rma, conv.fivenum, conv.wald).
#
#   Rscript tests/reference/generate_designs.R OUTDIR   writes OUTDIR/data/*.csv, OUTDIR/expected/*.json
#   Rscript tests/reference/generate_designs.R --check  regenerates into a temporary folder and
#                                                       compares with the committed files (exit 1 on drift)
#
# Same file formats, number formatting and --check rules as generate.R (see README.md). Inputs
# that generate.R writes (data/bcg.csv, data/egger2001.csv) and the knee data in tests/data/ are
# read, not written, so each file has one owner.
#
# metafor 3.8.1 (Debian's) has no conv.fivenum or conv.wald (both arrived in metafor 4.0). When
# they are missing, conv_fivenum() and conv_wald() below compute the same published formulas
# (Luo et al. 2018, Wan et al. 2014, Shi et al. 2020 and 2023; Wald-type intervals and tests);
# conv_wald() is first checked against the values metafor's documentation prints for its own
# example. With metafor >= 4.0 installed, metafor's functions are used and --check compares.

suppressPackageStartupMessages({
  library(metafor)  # also attaches metadat
  library(jsonlite)
})

level <- 95
rma_control <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
check_rel_tol <- 1e-9
check_abs_tol <- 1e-12
options(na.action = "na.pass")  # weights() and friends keep one value per study, NA if left out

# ---------------------------------------------------------------------------------------------
# Formatting and files (as generate.R).

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

json_value <- function(s) structure(s, class = "json")
num <- function(x) {
  if (is.null(x) || length(x) == 0 || is.na(x)) return(json_value("null"))
  stopifnot(length(x) == 1)
  if (!is.finite(x)) return(json_value("null"))
  json_value(format_number(unname(x)))
}

write_json <- function(doc, path) {
  json <- toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                 pretty = TRUE, json_verbatim = TRUE)
  con <- file(path, open = "wb")
  writeLines(json, con, sep = "\n")
  close(con)
}

generator_string <- function() {
  sprintf("metafor %s / metadat %s / R %s", packageVersion("metafor"), packageVersion("metadat"),
          paste(R.version$major, R.version$minor, sep = "."))
}

# ---------------------------------------------------------------------------------------------
# Conversions: metafor's own functions where this metafor has them, else the published formulas.

has_metafor_conv <- exists("conv.fivenum", envir = asNamespace("metafor"))

# Means and SDs from five-number summaries assuming normal data (metafor >= 4.0 conv.fivenum,
# default methods and test for skewness). NA where not estimable or the test is significant.
conv_fivenum <- function(min, q1, median, q3, max, n) {
  k <- length(n)
  fill <- function(x) if (is.null(x)) rep(NA_real_, k) else as.numeric(x)
  min <- fill(min); q1 <- fill(q1); median <- fill(median); q3 <- fill(q3); max <- fill(max)
  if (has_metafor_conv) {
    res <- metafor::conv.fivenum(min = min, q1 = q1, median = median, q3 = q3, max = max, n = n)
    return(data.frame(mean = as.vector(res$mean), sd = as.vector(res$sd)))
  }
  means <- sds <- rep(NA_real_, k)
  for (i in seq_len(k)) {
    ni <- n[i]
    if (is.na(ni) || ni < 5) next
    xi <- 2 * qnorm((ni - 0.375) / (ni + 0.25))       # Wan et al. 2014, eq. 7
    eta <- 2 * qnorm((0.75 * ni - 0.125) / (ni + 0.25))  # Wan et al. 2014, eq. 15
    range <- !is.na(min[i]) && !is.na(max[i])
    quart <- !is.na(q1[i]) && !is.na(q3[i])
    if (range && !quart) {
      tval <- abs((min[i] + max[i] - 2 * median[i]) / (max[i] - min[i]))
      crit <- 1 / log(ni + 9) + 2.5 / (ni + 1)
      if (isTRUE(tval >= crit)) next
      w <- 4 / (4 + ni^0.75)                              # Luo et al. 2018, eq. 7
      means[i] <- w * (min[i] + max[i]) / 2 + (1 - w) * median[i]
      sds[i] <- (max[i] - min[i]) / xi                    # Wan et al. 2014, eq. 9
    } else if (quart && !range) {
      tval <- abs((q1[i] + q3[i] - 2 * median[i]) / (q3[i] - q1[i]))
      crit <- 2.65 / sqrt(ni) - 6 / ni^2
      if (isTRUE(tval >= crit)) next
      w <- 0.7 + 0.39 / ni                                # Luo et al. 2018, eq. 11
      means[i] <- w * (q1[i] + q3[i]) / 2 + (1 - w) * median[i]
      sds[i] <- (q3[i] - q1[i]) / eta                     # Wan et al. 2014, eq. 16
    } else if (quart && range) {
      tval <- max(2.65 * log(0.6 * ni) / sqrt(ni) * abs((min[i] + max[i] - 2 * median[i]) /
                                                         (max[i] - min[i])),
                  abs((q1[i] + q3[i] - 2 * median[i]) / (q3[i] - q1[i])))
      crit <- 3 / sqrt(ni) - 40 / ni^3
      if (isTRUE(tval >= crit)) next
      w1 <- 2.2 / (2.2 + ni^0.75)                         # Luo et al. 2018, eq. 15
      w2 <- 0.7 - 0.72 / ni^0.55
      means[i] <- w1 * (min[i] + max[i]) / 2 + w2 * (q1[i] + q3[i]) / 2 +
        (1 - w1 - w2) * median[i]
      w <- 1 / (1 + 0.07 * ni^0.6)                        # Shi et al. 2020, eq. 10
      sds[i] <- w * (max[i] - min[i]) / xi + (1 - w) * (q3[i] - q1[i]) / eta
    }
  }
  data.frame(mean = means, sd = sds)
}

# Sampling variances from Wald-type CIs, else z values, else two-sided p-values (conv.wald).
conv_wald <- function(out, ci.lb = NULL, ci.ub = NULL, pval = NULL, transf = identity,
                      level = 95) {
  k <- length(out)
  fill <- function(x) if (is.null(x)) rep(NA_real_, k) else as.numeric(x)
  ci.lb <- fill(ci.lb); ci.ub <- fill(ci.ub); pval <- fill(pval)
  if (has_metafor_conv) {
    res <- metafor::conv.wald(out = out, ci.lb = ci.lb, ci.ub = ci.ub, pval = pval,
                              transf = transf, level = level, check = FALSE)
    return(data.frame(yi = as.vector(res$yi), vi = as.vector(res$vi)))
  }
  yi <- transf(out)
  crit <- qnorm((1 - level / 100) / 2, lower.tail = FALSE)
  vi <- ((transf(ci.ub) - transf(ci.lb)) / (2 * crit))^2
  zval <- qnorm(pval / 2, lower.tail = FALSE)
  vi <- ifelse(is.na(vi), (yi / zval)^2, vi)
  data.frame(yi = yi, vi = vi)
}

# conv_wald against the output metafor's documentation prints for its example (help(conv.wald)):
# an OR of 0.64 with 95% CI 0.33 to 1.22 gives yi -0.4463, vi 0.1113; with p = 0.17, vi 0.1058.
local({
  a <- conv_wald(out = 0.64, ci.lb = 0.33, ci.ub = 1.22, transf = log)
  b <- conv_wald(out = 0.64, pval = 0.17, transf = log)
  stopifnot(round(a$yi, 4) == -0.4463, round(a$vi, 4) == 0.1113, round(b$vi, 4) == 0.1058)
})

# Cochrane Handbook table 6.5.a: two arms' size, mean and SD combined into one.
combine_means <- function(n, m, s) {
  N <- n[1]; M <- m[1]; S <- s[1]
  for (j in seq_along(n)[-1]) {
    Mj <- (N * M + n[j] * m[j]) / (N + n[j])
    S <- sqrt(((N - 1) * S^2 + (n[j] - 1) * s[j]^2 + N * n[j] / (N + n[j]) * (M - m[j])^2) /
                (N + n[j] - 1))
    N <- N + n[j]
    M <- Mj
  }
  c(n = N, m = M, sd = S)
}

# ---------------------------------------------------------------------------------------------
# Expected values.

study_list <- function(labels, yi, vi, weights) {
  crit <- qnorm((1 - level / 100) / 2, lower.tail = FALSE)
  lapply(seq_along(labels), function(i) {
    list(study = labels[i], yi = num(yi[i]), vi = num(vi[i]), weight = num(weights[i]),
         ci_lb = num(yi[i] - crit * sqrt(vi[i])), ci_ub = num(yi[i] + crit * sqrt(vi[i])))
  })
}

back <- function(transf, est, lb, ub, pi_lb = NA, pi_ub = NA) {
  f <- function(x) if (is.na(x)) NA else transf(x)
  list(estimate = num(f(est)), ci_lb = num(f(lb)), ci_ub = num(f(ub)), pi_lb = num(f(pi_lb)),
       pi_ub = num(f(pi_ub)))
}

# rma.mh / rma.peto fit -> expected keys; `labels` are the tables' study labels.
table_expected <- function(res, labels, measure) {
  e <- list(measure = measure, method = if (inherits(res, "rma.peto")) "PETO" else "MH",
            test = "z", level = level, k = res$k, estimate = num(res$beta[1]), se = num(res$se),
            zval = num(res$zval), pval = num(res$pval), ci_lb = num(res$ci.lb),
            ci_ub = num(res$ci.ub), pi_lb = num(NA), pi_ub = num(NA), tau2 = num(0),
            tau2_ci = json_value("null"), I2 = num(res$I2), H2 = num(res$H2), Q = num(res$QE),
            Q_df = max(0L, res$k.yi - 1L), Q_p = num(res$QEp), k_yi = res$k.yi)
  if (inherits(res, "rma.mh") && measure == "OR") {
    e$CMH <- num(res$MH)
    e$CMH_p <- num(res$MHp)
    e$tarone <- num(res$TA)
    e$tarone_df <- num(if (is.na(res$TA)) NA else res$k.pos - 1)
    e$tarone_p <- num(res$TAp)
    e$breslow_day <- num(res$BD)
    e$breslow_day_p <- num(res$BDp)
  }
  e$studies <- study_list(labels, res$yi.f, res$vi.f, weights(res))
  if (measure %in% c("OR", "RR", "IRR", "PETO")) {
    e$back_transformed <- back(exp, res$beta[1], res$ci.lb, res$ci.ub)
  }
  e
}

# rma() on escalc output -> expected keys (studies without yi shown with nulls).
uni_expected <- function(es, labels, measure, method, transf = NULL, out_measure = measure) {
  res <- rma(yi, vi, data = es, method = method, level = level, control = rma_control)
  is_fe <- method == "FE"
  pred <- predict(res)
  e <- list(measure = out_measure, method = method, test = "z", level = level, k = res$k,
            estimate = num(res$beta[1]), se = num(res$se), zval = num(res$zval),
            pval = num(res$pval), ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub),
            pi_lb = num(if (is_fe) NA else pred$pi.lb), pi_ub = num(if (is_fe) NA else pred$pi.ub),
            tau2 = num(res$tau2), I2 = num(res$I2), H2 = num(res$H2), Q = num(res$QE),
            Q_df = res$k - 1L, Q_p = num(res$QEp))
  if (res$k < nrow(es)) e$k_yi <- res$k
  e$studies <- study_list(labels, as.vector(es$yi), as.vector(es$vi), weights(res))
  if (!is.null(transf)) {
    e$back_transformed <- back(transf, res$beta[1], res$ci.lb, res$ci.ub,
                               if (is_fe) NA else pred$pi.lb, if (is_fe) NA else pred$pi.ub)
  }
  e
}

case <- function(name, args, expected) list(name = name, args = as.list(args), expected = expected)

# ---------------------------------------------------------------------------------------------
# Data sets written by this script.

own_data <- list(
  yusuf1985_table6 = function() {
    # Beta blockers after myocardial infarction (Yusuf et al. 1985, table 6): sparse tables, three
    # with no deaths in either group, and one (Snow 1) without counts.
    d <- dat.yusuf1985[dat.yusuf1985$table == "6", ]
    data.frame(study = paste(d$id, d$trial), ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i)
  },
  collins1985b = function() {
    # Diuretics in pregnancy (Collins et al. 1985): perinatal deaths; two trials with none.
    d <- dat.collins1985b
    data.frame(study = paste(d$author, d$year), ai = d$ped.xti, n1i = d$fup.nti,
               ci = d$ped.xci, n2i = d$fup.nci)
  },
  hart1999 = function() {
    d <- dat.hart1999
    data.frame(study = paste(d$study, d$year), x1i = d$x1i, t1i = d$t1i, x2i = d$x2i,
               t2i = d$t2i)
  },
  hart1999_warfarin = function() {
    # One arm of each trial: stroke rates under warfarin.
    d <- dat.hart1999
    data.frame(study = paste(d$study, d$year), xi = d$x1i, ti = d$t1i)
  },
  nielweise2008 = function() {
    d <- dat.nielweise2008
    data.frame(study = d$authors, x1i = d$x1i, t1i = d$t1i, x2i = d$x2i, t2i = d$t2i)
  },
  paired_simulated = function() {
    # Pre-post case series: means, SDs and correlations drawn from a fixed seed.
    set.seed(20240603)
    k <- 8
    ni <- sample(8:60, k)
    m2i <- round(rnorm(k, 50, 8), 1)                 # before
    m1i <- round(m2i - rnorm(k, 6, 4), 1)            # after
    sd2i <- round(runif(k, 8, 15), 2)
    sd1i <- round(sd2i * runif(k, 0.7, 1.2), 2)
    ri <- round(runif(k, 0.3, 0.85), 2)
    data.frame(study = sprintf("Series %d", seq_len(k)), m1i = m1i, m2i = m2i, sd1i = sd1i,
               sd2i = sd2i, ni = ni, ri = ri)
  },
  fivenum_example = function() {
    # help(conv.fivenum)'s example values for group 1 (cases 1, 2, 3, and a reported mean and
    # SD), a skewed five-number summary (its second example), and group 2 reported as means or
    # as quartiles.
    data.frame(study = c("Case 1", "Case 2", "Case 3", "Reported", "Skewed", "Both groups"),
               min1i = c(2, NA, 2, NA, 2, NA), q1_1i = c(NA, 4, 4, NA, 4, 4),
               median1i = c(6, 6, 6, NA, 6, 6), q3_1i = c(NA, 10, 10, NA, 14, 10),
               max1i = c(14, NA, 14, NA, 20, NA), m1i = c(NA, NA, NA, 7.0, NA, NA),
               sd1i = c(NA, NA, NA, 4.2, NA, NA), n1i = c(20, 20, 20, 20, 20, 20),
               q1_2i = c(NA, NA, NA, NA, NA, 3), median2i = c(NA, NA, NA, NA, NA, 5),
               q3_2i = c(NA, NA, NA, NA, NA, 8), m2i = c(5.1, 4.8, 5.5, 5.0, 5.2, NA),
               sd2i = c(3.9, 4.4, 4.1, 4.0, 3.8, NA), n2i = c(22, 18, 25, 20, 21, 19))
  },
  wald_or = function() {
    # help(conv.wald)'s first example: odds ratios with 95% CIs.
    data.frame(study = c("A", "B"), yi = c(1.37, 1.89), ci_lb = c(1.03, 1.60),
               ci_ub = c(1.82, 2.23))
  },
  wald_bcg = function() {
    # help(conv.wald)'s BCG example: each trial's odds ratio, 95% CI and p-value rounded to two
    # decimals as a paper would print them; trials 1 and 12 report only the p-value.
    es <- summary(escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg,
                         data = dat.bcg), transf = exp)
    d <- data.frame(study = paste(dat.bcg$author, dat.bcg$year), yi = round(es$yi, 2),
                    ci_lb = round(es$ci.lb, 2), ci_ub = round(es$ci.ub, 2),
                    pval = round(summary(escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos,
                                                di = cneg, data = dat.bcg))$pval, 2))
    d$ci_lb[c(1, 12)] <- NA
    d$ci_ub[c(1, 12)] <- NA
    d$pval[-c(1, 12)] <- NA
    d
  }
)

# ---------------------------------------------------------------------------------------------
# The expected files: each a function of the folder holding data/ (fresh or committed), returning
# list(input = path relative to tests/reference, cases = list(...)).

roots <- NULL
read_own <- function(path) read.csv(file.path(roots$own, path), stringsAsFactors = FALSE)
read_committed <- function(path) {
  read.csv(file.path(roots$committed, path), stringsAsFactors = FALSE)
}

tables_of <- function(d) {
  # Complete 2x2 rows only: evident and metafor both leave out a table with a missing count.
  d[stats::complete.cases(d[c("ai", "n1i", "ci", "n2i")]), ]
}

mh_cases <- function(d, with_iv = TRUE) {
  d <- tables_of(d)
  lab <- d$study
  mh <- function(measure, ...) rma.mh(measure = measure, ai = d$ai, n1i = d$n1i, ci = d$ci,
                                      n2i = d$n2i, level = level, ...)
  cases <- list(
    case("MH_OR", c("--method", "MH"), table_expected(mh("OR"), lab, "OR")),
    case("MH_RR", c("--method", "MH", "--measure", "RR"), table_expected(mh("RR"), lab, "RR")),
    case("MH_RD", c("--method", "MH", "--measure", "RD"), table_expected(mh("RD"), lab, "RD")),
    case("PETO", c("--method", "PETO"),
         table_expected(rma.peto(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i, level = level),
                        lab, "PETO")))
  if (with_iv) {
    es <- function(measure, ...) escalc(measure = measure, ai = d$ai, n1i = d$n1i, ci = d$ci,
                                        n2i = d$n2i, ...)
    cases <- c(cases, list(
      case("MH_OR_keep00", c("--method", "MH", "--drop00", "false"),
           table_expected(mh("OR", drop00 = FALSE), lab, "OR")),
      case("MH_OR_add_all", c("--method", "MH", "--add", "0.25", "--to", "all"),
           table_expected(mh("OR", add = 0.25, to = "all"), lab, "OR")),
      case("PETO_keep00", c("--method", "PETO", "--drop00", "false"),
           table_expected(rma.peto(ai = d$ai, n1i = d$n1i, ci = d$ci, n2i = d$n2i,
                                   drop00 = FALSE, level = level), lab, "PETO")),
      case("REML_OR", c("--measure", "OR", "--method", "REML"),
           uni_expected(es("OR"), lab, "OR", "REML", exp)),
      case("REML_OR_drop00", c("--measure", "OR", "--method", "REML", "--drop00", "true"),
           uni_expected(es("OR", drop00 = TRUE), lab, "OR", "REML", exp)),
      case("FE_PETO_measure", c("--measure", "PETO", "--method", "FE"),
           uni_expected(es("PETO"), lab, "PETO", "FE", exp)),
      case("DL_PETO_measure", c("--measure", "PETO", "--method", "DL"),
           uni_expected(es("PETO"), lab, "PETO", "DL", exp))))
  }
  cases
}

rate_cases <- function(d, iv_methods) {
  lab <- d$study
  mh <- function(measure) rma.mh(measure = measure, x1i = d$x1i, t1i = d$t1i, x2i = d$x2i,
                                 t2i = d$t2i, level = level)
  es <- function(measure) escalc(measure = measure, x1i = d$x1i, t1i = d$t1i, x2i = d$x2i,
                                 t2i = d$t2i)
  cases <- list(
    case("MH_IRR", c("--method", "MH", "--measure", "IRR"), table_expected(mh("IRR"), lab, "IRR")),
    case("MH_IRD", c("--method", "MH", "--measure", "IRD"), table_expected(mh("IRD"), lab, "IRD")))
  for (measure in c("IRR", "IRD", "IRSD")) for (method in iv_methods) {
    cases[[length(cases) + 1]] <-
      case(paste(method, measure, sep = "_"), c("--measure", measure, "--method", method),
           uni_expected(es(measure), lab, measure, method, if (measure == "IRR") exp))
  }
  cases
}

expected_files <- list(
  mh_bcg = function() {
    d <- read_committed("data/bcg.csv")
    d <- data.frame(study = d$study, ai = d$ai, n1i = d$ai + d$bi, ci = d$ci, n2i = d$ci + d$di)
    list(input = "data/bcg.csv", cases = mh_cases(d, with_iv = FALSE))
  },
  mh_egger2001 = function() {
    list(input = "data/egger2001.csv",
         cases = mh_cases(read_committed("data/egger2001.csv"), with_iv = FALSE))
  },
  mh_yusuf1985_table6 = function() {
    list(input = "data/yusuf1985_table6.csv",
         cases = mh_cases(read_own("data/yusuf1985_table6.csv")))
  },
  mh_collins1985b = function() {
    list(input = "data/collins1985b.csv", cases = mh_cases(read_own("data/collins1985b.csv")))
  },
  rates_hart1999 = function() {
    list(input = "data/hart1999.csv",
         cases = rate_cases(read_own("data/hart1999.csv"), c("FE", "DL", "REML")))
  },
  rates_nielweise2008 = function() {
    list(input = "data/nielweise2008.csv",
         cases = rate_cases(read_own("data/nielweise2008.csv"), "REML"))
  },
  rate_hart1999_warfarin = function() {
    d <- read_own("data/hart1999_warfarin.csv")
    # Back-transformations as metafor's transf functions; IRFT at the harmonic mean person-time.
    transf <- list(IR = NULL, IRLN = exp, IRS = transf.isqrt,
                   IRFT = function(x) transf.iirft(x, ti = 1 / mean(1 / d$ti)))
    cases <- list()
    for (measure in names(transf)) for (method in c("FE", "REML")) {
      es <- escalc(measure = measure, xi = d$xi, ti = d$ti)
      cases[[length(cases) + 1]] <-
        case(paste(method, measure, sep = "_"), c("--measure", measure, "--method", method),
             uni_expected(es, d$study, measure, method, transf[[measure]]))
    }
    list(input = "data/hart1999_warfarin.csv", cases = cases)
  },
  paired_simulated = function() {
    d <- read_own("data/paired_simulated.csv")
    cases <- list()
    for (measure in c("MC", "SMCC", "SMCR")) for (method in c("FE", "DL", "REML")) {
      es <- if (measure == "SMCR") {
        escalc(measure = measure, m1i = d$m1i, m2i = d$m2i, sd1i = d$sd1i, ni = d$ni, ri = d$ri)
      } else {
        escalc(measure = measure, m1i = d$m1i, m2i = d$m2i, sd1i = d$sd1i, sd2i = d$sd2i,
               ni = d$ni, ri = d$ri)
      }
      cases[[length(cases) + 1]] <-
        case(paste(method, measure, sep = "_"), c("--measure", measure, "--method", method),
             uni_expected(es, d$study, measure, method))
    }
    list(input = "data/paired_simulated.csv", cases = cases)
  },
  fivenum_example = function() {
    d <- read_own("data/fivenum_example.csv")
    g1 <- conv_fivenum(d$min1i, d$q1_1i, d$median1i, d$q3_1i, d$max1i, d$n1i)
    g2 <- conv_fivenum(NULL, d$q1_2i, d$median2i, d$q3_2i, NULL, d$n2i)
    # Reported means and SDs are kept; only missing ones are estimated (replace = "ifna").
    m1 <- ifelse(is.na(d$m1i), g1$mean, d$m1i)
    s1 <- ifelse(is.na(d$sd1i), g1$sd, d$sd1i)
    m2 <- ifelse(is.na(d$m2i), g2$mean, d$m2i)
    s2 <- ifelse(is.na(d$sd2i), g2$sd, d$sd2i)
    ok <- !is.na(m1) & !is.na(s1) & !is.na(m2) & !is.na(s2)  # the skewed row has none
    cases <- list()
    for (measure in c("MD", "SMD")) for (method in c("FE", "REML")) {
      es <- escalc(measure = measure, m1i = m1[ok], sd1i = s1[ok], n1i = d$n1i[ok], m2i = m2[ok],
                   sd2i = s2[ok], n2i = d$n2i[ok])
      cases[[length(cases) + 1]] <-
        case(paste(method, measure, sep = "_"), c("--measure", measure, "--method", method),
             uni_expected(es, d$study[ok], measure, method))
    }
    list(input = "data/fivenum_example.csv", cases = cases)
  },
  wald_or = function() {
    d <- read_own("data/wald_or.csv")
    w <- conv_wald(out = d$yi, ci.lb = d$ci_lb, ci.ub = d$ci_ub, transf = log)
    es <- escalc(measure = "GEN", yi = w$yi, vi = w$vi)
    list(input = "data/wald_or.csv", cases = list(
      case("FE_log", c("--transf", "log", "--method", "FE"),
           uni_expected(es, d$study, "GEN", "FE", exp)),
      case("REML_log", c("--transf", "log", "--method", "REML"),
           uni_expected(es, d$study, "GEN", "REML", exp))))
  },
  wald_bcg = function() {
    d <- read_own("data/wald_bcg.csv")
    w <- conv_wald(out = d$yi, ci.lb = d$ci_lb, ci.ub = d$ci_ub, pval = d$pval, transf = log)
    es <- escalc(measure = "GEN", yi = w$yi, vi = w$vi)
    cases <- list()
    for (method in c("FE", "DL", "REML")) {
      cases[[length(cases) + 1]] <- case(paste0(method, "_log"), c("--transf", "log", "--method",
                                                                   method),
                                         uni_expected(es, d$study, "GEN", method, exp))
    }
    list(input = "data/wald_bcg.csv", cases = cases)
  },
  knee_serious_ae = function() {
    # The Chen 2021 dose arms share a control arm: combined (events and sizes add) by default,
    # or the control split in three (events and size divided by 3).
    d <- tables_of(read_committed("../data/knee_msc_serious_ae.csv"))
    list(input = "../data/knee_msc_serious_ae.csv", cases = knee_cases(d))
  },
  knee_any_ae = function() {
    d <- tables_of(read_committed("../data/knee_msc_any_ae.csv"))
    list(input = "../data/knee_msc_any_ae.csv", cases = knee_cases(d))
  },
  knee_lamo_espinosa_womac_pain = function() {
    list(input = "../data/knee_msc_lamo_espinosa_womac_pain.csv",
         cases = lamo_cases(read_committed("../data/knee_msc_lamo_espinosa_womac_pain.csv")))
  },
  knee_lamo_espinosa_womac_total = function() {
    list(input = "../data/knee_msc_lamo_espinosa_womac_total.csv",
         cases = lamo_cases(read_committed("../data/knee_msc_lamo_espinosa_womac_total.csv")))
  }
)

# Multi-arm trials (rows sharing `trial`): one table per trial (combine) or shared control (split).
resolve_trials <- function(d, mode) {
  out <- list()
  for (t in unique(d$trial)) {
    rows <- d[d$trial == t, ]
    if (nrow(rows) == 1) {
      out[[length(out) + 1]] <- rows[c("study", "ai", "n1i", "ci", "n2i")]
    } else if (mode == "combine") {
      out[[length(out) + 1]] <- data.frame(study = t, ai = sum(rows$ai), n1i = sum(rows$n1i),
                                           ci = rows$ci[1], n2i = rows$n2i[1])
    } else {
      g <- nrow(rows)
      out[[length(out) + 1]] <- data.frame(study = rows$study, ai = rows$ai, n1i = rows$n1i,
                                           ci = rows$ci / g, n2i = rows$n2i / g)
    }
  }
  do.call(rbind, out)
}

knee_cases <- function(d) {
  cases <- list()
  for (mode in c("combine", "split")) {
    r <- resolve_trials(d, mode)
    mh <- function(measure) rma.mh(measure = measure, ai = r$ai, n1i = r$n1i, ci = r$ci,
                                   n2i = r$n2i, level = level)
    extra <- if (mode == "split") c("--multiarm", "split") else character()
    cases <- c(cases, list(
      case(paste0("MH_OR_", mode), c("--method", "MH", extra), table_expected(mh("OR"), r$study,
                                                                              "OR")),
      case(paste0("MH_RR_", mode), c("--method", "MH", "--measure", "RR", extra),
           table_expected(mh("RR"), r$study, "RR")),
      case(paste0("MH_RD_", mode), c("--method", "MH", "--measure", "RD", extra),
           table_expected(mh("RD"), r$study, "RD")),
      case(paste0("PETO_", mode), c("--method", "PETO", extra),
           table_expected(rma.peto(ai = r$ai, n1i = r$n1i, ci = r$ci, n2i = r$n2i, level = level),
                          r$study, "PETO"))))
  }
  cases
}

lamo_cases <- function(d) {
  g1 <- conv_fivenum(NULL, d$q1_1i, d$median1i, d$q3_1i, NULL, d$n1i)
  g2 <- conv_fivenum(NULL, d$q1_2i, d$median2i, d$q3_2i, NULL, d$n2i)
  cases <- list()
  # Split: each dose arm against the control, whose size is shared out between the comparisons.
  es <- escalc(measure = "MD", m1i = g1$mean, sd1i = g1$sd, n1i = d$n1i, m2i = g2$mean,
               sd2i = g2$sd, n2i = d$n2i / nrow(d))
  cases[[1]] <- case("FE_MD_split", c("--measure", "MD", "--method", "FE", "--multiarm", "split"),
                     uni_expected(es, d$study, "MD", "FE"))
  # Combine: the two dose arms pooled into one (Cochrane Handbook table 6.5.a).
  c1 <- combine_means(d$n1i, g1$mean, g1$sd)
  es <- escalc(measure = "MD", m1i = c1["m"], sd1i = c1["sd"], n1i = c1["n"], m2i = g2$mean[1],
               sd2i = g2$sd[1], n2i = d$n2i[1])
  cases[[2]] <- case("FE_MD_combine", c("--measure", "MD", "--method", "FE"),
                     uni_expected(es, d$trial[1], "MD", "FE"))
  cases
}

# ---------------------------------------------------------------------------------------------

generate <- function(outdir, committed) {
  dir.create(file.path(outdir, "data"), recursive = TRUE, showWarnings = FALSE)
  dir.create(file.path(outdir, "expected"), recursive = TRUE, showWarnings = FALSE)
  for (name in names(own_data)) {
    write_csv(own_data[[name]](), file.path(outdir, "data", paste0(name, ".csv")))
  }
  # This script's data are read back from where they were just written (so the reference matches
  # exactly what evident reads); generate.R's and tests/data/'s from the committed tree.
  roots <<- list(own = outdir, committed = committed)
  for (name in names(expected_files)) {
    spec <- withCallingHandlers(expected_files[[name]](),
                                warning = function(w) invokeRestart("muffleWarning"))
    doc <- list(generator = generator_string(), input = spec$input, cases = spec$cases)
    write_json(doc, file.path(outdir, "expected", paste0(name, ".json")))
    message(sprintf("%-45s %d cases", file.path("expected", paste0(name, ".json")),
                    length(spec$cases)))
  }
}

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
  fresh <- tempfile("evident-designs-")
  on.exit(unlink(fresh, recursive = TRUE))
  generate(fresh, committed)
  diffs <- character()
  # Only this script's files: the data it writes and the expected files it makes.
  files <- c(file.path("data", paste0(names(own_data), ".csv")),
             file.path("expected", paste0(names(expected_files), ".json")))
  for (f in files) {
    path_a <- file.path(committed, f)
    path_b <- file.path(fresh, f)
    if (!file.exists(path_a)) {
      diffs <- c(diffs, sprintf("%s: not committed", f))
    } else if (startsWith(f, "data/")) {
      if (!identical(readLines(path_a, warn = FALSE), readLines(path_b, warn = FALSE))) {
        diffs <- c(diffs, sprintf("%s: text differs", f))
      }
    } else {
      a <- fromJSON(path_a, simplifyVector = FALSE)
      b <- fromJSON(path_b, simplifyVector = FALSE)
      if (!identical(a$generator, b$generator)) {
        message(sprintf("note: %s was made by \"%s\", this run is \"%s\"", f, a$generator,
                        b$generator))
        a$generator <- b$generator
      }
      diffs <- compare_json(a, b, f, diffs)
    }
  }
  if (length(diffs) > 0) {
    cat(diffs, sep = "\n")
    cat(sprintf("%d difference(s) from the committed reference files\n", length(diffs)))
    return(1L)
  }
  cat("design reference files match metafor\n")
  0L
}

script_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg) != 1) stop("run this script with Rscript")
  dirname(normalizePath(sub("^--file=", "", file_arg)))
}

main <- function(argv) {
  if (length(argv) != 1 || argv %in% c("-h", "--help")) {
    cat("usage: Rscript generate_designs.R OUTDIR | --check\n", file = stderr())
    return(2L)
  }
  if (argv == "--check") return(check(script_dir()))
  generate(argv, script_dir())
  0L
}

quit(status = main(commandArgs(trailingOnly = TRUE)))
