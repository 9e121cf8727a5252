#!/usr/bin/env Rscript
# Reference values for evident's multilevel model (`evident fit FILE --random "~ 1 | a/b"`),
# computed by R's metafor (rma.mv, robust, confint, predict, fitstats) with clubSandwich for the
# CR2 cluster-robust tests, on data sets of metadat.
#
#   Rscript tests/reference/generate_multilevel.R OUTDIR   writes OUTDIR/data/multilevel_*.csv and
#                                                          OUTDIR/expected/multilevel_*.json
#   Rscript tests/reference/generate_multilevel.R --check  regenerates into a temporary folder and
#                                                          compares with the committed files
#
# Same file formats, number formatting and --check rules as generate_designs.R (see README.md).
#
# The model: yi = x_i'beta + sum_j u_j[g_j(i)] + e_i, u_j ~ N(0, sigma2_j) for each random term
# (~ 1 | a/b gives one term for a and one for b within a; several --random formulas are crossed
# terms), e ~ N(0, V) with V = diag(vi) or, with --rho, vcalc()'s V (correlation rho between
# different obs within a cluster). sigma2 maximise the REML or ML log-likelihood.
#
# Tight convergence: metafor's optimiser (nlminb on log sigma2) stops short of the maximum by up
# to ~1e-7 relative in sigma2 at its default tolerance, and fails to converge at tighter ones. So
# every model is first solved here by Fisher scoring on the exact score of the (RE)ML likelihood
# (a different optimiser, run to machine precision, sigma2 >= 0), then fitted by rma.mv with
# control = list(rel.tol = 1e-12, iter.max = 10000, eval.max = 10000) started at that solution;
# all expected values are metafor's output for that fit. The script stops unless metafor's sigma2
# agree with Fisher scoring to 1e-8 relative (1e-10 absolute for sigma2 at the boundary), unless
# metafor's likelihood is at least that of its own default fit, and unless its default fit agrees
# to 1e-6 relative. sigma2 below 1e-8 are written as 0 and compared with an absolute tolerance of
# 1e-6; profile CIs (confint, uniroot tol 1e-10, each bound's likelihood ratio checked here) with
# an absolute tolerance of 1e-4. metafor's log-likelihood is recomputed from its formula and must
# agree to 1e-9.

suppressPackageStartupMessages({
  library(metafor)  # also attaches metadat
  library(jsonlite)
})
if (!requireNamespace("clubSandwich", quietly = TRUE)) {
  stop("generate_multilevel.R needs the R package clubSandwich (Debian: r-cran-clubsandwich)")
}

level <- 95
rma_control <- list(rel.tol = 1e-12, iter.max = 10000, eval.max = 10000)
confint_control <- list(tol = 1e-10)
agree_rel_tol <- 1e-8      # metafor's sigma2 against Fisher scoring
agree_abs_tol <- 1e-10     # ... for sigma2 at the boundary
default_rel_tol <- 1e-6    # metafor's default fit against the tight one
boundary <- 1e-8           # sigma2 below this are written as 0
boundary_tolerance <- 1e-6
ci_tolerance <- 1e-4
check_rel_tol <- 1e-9
check_abs_tol <- 1e-12

# ---------------------------------------------------------------------------------------------
# Formatting and files (as generate_designs.R).

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
nums <- function(x) lapply(unname(x), num)  # always a JSON array

write_json <- function(doc, path) {
  json <- toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                 pretty = TRUE, json_verbatim = TRUE)
  con <- file(path, open = "wb")
  writeLines(json, con, sep = "\n")
  close(con)
}

generator_string <- function() {
  sprintf("metafor %s / metadat %s / clubSandwich %s / R %s", packageVersion("metafor"),
          packageVersion("metadat"), packageVersion("clubSandwich"),
          paste(R.version$major, R.version$minor, sep = "."))
}

# ---------------------------------------------------------------------------------------------
# Fisher scoring on the exact (RE)ML score, the independent solution metafor's fit must match.
# M = V + sum_j sigma2_j D_j with D_j = Z_j Z_j'; P = W - W X (X'WX)^-1 X'W, W = M^-1;
# score_j = -tr(Q D_j) / 2 + y'P D_j P y / 2 and information tr(Q D_j Q D_l) / 2 with Q = P
# (REML) or W (ML). Components whose score is negative at 0 stay at 0.

incidence <- function(g) outer(g, g, "==") * 1

# metafor's log-likelihood (.ll.rma.mv with REMLf = TRUE): ML -k/2 log(2 pi) - log|M|/2 - RSS/2;
# REML -(k-p)/2 log(2 pi) + log|X'X|/2 - log|M|/2 - log|X'WX|/2 - RSS/2.
log_likelihood <- function(y, V, X, D, th, reml) {
  M <- V
  for (j in seq_along(D)) M <- M + th[j] * D[[j]]
  W <- chol2inv(chol(M))
  XWX <- crossprod(X, W %*% X)
  r <- y - X %*% solve(XWX, crossprod(X, W %*% y))
  logdet <- function(A) as.numeric(determinant(A, logarithm = TRUE)$modulus)
  k <- length(y)
  p <- ncol(X)
  if (reml) {
    -(k - p) / 2 * log(2 * pi) + logdet(crossprod(X)) / 2 - logdet(M) / 2 - logdet(XWX) / 2 -
      sum(r * (W %*% r)) / 2
  } else {
    -k / 2 * log(2 * pi) - logdet(M) / 2 - sum(r * (W %*% r)) / 2
  }
}

# `fixed`: NA for components to estimate, else the value a component is held at (profiles).
fisher_scoring <- function(y, V, X, D, reml, fixed = rep(NA_real_, length(D))) {
  th <- ifelse(is.na(fixed), var(y) / length(D), fixed)
  for (iteration in 1:1000) {
    M <- V
    for (j in seq_along(D)) M <- M + th[j] * D[[j]]
    W <- chol2inv(chol(M))
    P <- W - W %*% X %*% solve(crossprod(X, W %*% X), crossprod(X, W))
    Py <- P %*% y
    Q <- if (reml) P else W
    QD <- lapply(D, function(Dj) Q %*% Dj)
    score <- vapply(seq_along(D), function(j) {
      -0.5 * sum(diag(QD[[j]])) + 0.5 * sum(Py * (D[[j]] %*% Py))
    }, numeric(1))
    info <- outer(seq_along(D), seq_along(D),
                  Vectorize(function(a, b) 0.5 * sum(QD[[a]] * t(QD[[b]]))))
    free <- is.na(fixed) & (th > 0 | score > 0)
    step <- rep(0, length(th))
    step[free] <- solve(info[free, free, drop = FALSE], score[free])
    new <- pmax(th + step, 0)
    done <- max(abs(new - th)) <= 1e-15 * max(1, abs(th))
    th <- new
    if (done) return(th)
  }
  stop("Fisher scoring did not converge")
}

# ---------------------------------------------------------------------------------------------
# One model: `random` as rma.mv takes it, `groups` the grouping vectors of its terms (in
# metafor's order), `mods` a formula or NULL, V the sampling (co)variances.

fit_model <- function(d, random, groups, method, test, mods = NULL, V = d$vi) {
  X <- if (is.null(mods)) matrix(1, nrow(d), 1) else model.matrix(mods, d)
  Vm <- if (is.matrix(V)) V else diag(V)
  exact <- fisher_scoring(d$yi, Vm, X, lapply(groups, incidence), method == "REML")
  args <- list(yi = d$yi, V = V, random = random, data = d, method = method, test = test,
               level = level)
  if (!is.null(mods)) args$mods <- mods
  default <- do.call(rma.mv, args)
  args$control <- c(rma_control, list(sigma2.init = pmax(exact, 1e-13)))
  fit <- do.call(rma.mv, args)
  D <- lapply(groups, incidence)
  ll <- log_likelihood(d$yi, Vm, X, D, fit$sigma2, method == "REML")
  if (abs(ll - logLik(fit)) > 1e-9 * abs(ll)) {
    stop(sprintf("log-likelihood: rma.mv %.17g, formula %.17g", logLik(fit), ll))
  }
  # What the profile-likelihood CIs need (sigma2_ci_of).
  fit$reference <- list(y = d$yi, V = Vm, X = X, D = D, reml = method == "REML", ll = ll)
  for (j in seq_along(exact)) {
    a <- fit$sigma2[j]
    b <- exact[j]
    at_boundary <- max(a, b) < boundary
    ok <- if (at_boundary) abs(a - b) <= agree_abs_tol else
      abs(a - b) <= agree_rel_tol * max(abs(a), abs(b))
    if (!ok) stop(sprintf("sigma2[%d]: rma.mv %.17g, Fisher scoring %.17g", j, a, b))
    c <- default$sigma2[j]
    ok <- if (at_boundary) abs(c - b) <= boundary_tolerance else
      abs(c - b) <= default_rel_tol * max(abs(c), abs(b))
    if (!ok) stop(sprintf("sigma2[%d]: default rma.mv %.17g, Fisher scoring %.17g", j, c, b))
  }
  if (logLik(fit) < logLik(default) - 1e-12) {
    stop(sprintf("log-likelihood %.17g below the default fit's %.17g", logLik(fit),
                 logLik(default)))
  }
  fit
}

coefficient_list <- function(fit, stat) {
  lapply(seq_len(fit$p), function(j) {
    e <- list(name = rownames(fit$beta)[j], estimate = num(fit$beta[j]), se = num(fit$se[j]))
    e[[stat]] <- num(fit$zval[j])
    c(e, list(pval = num(fit$pval[j]), ci_lb = num(fit$ci.lb[j]), ci_ub = num(fit$ci.ub[j])))
  })
}

# rma.mv fit -> expected keys, and the absolute tolerances of sigma2 at the boundary.
expected_of <- function(fit) {
  stat <- if (fit$test == "t") "tval" else "zval"
  e <- list(method = fit$method, test = fit$test, k = fit$k)
  if (fit$int.only) {
    pred <- predict(fit)
    e$estimate <- num(fit$beta[1])
    e$se <- num(fit$se)
    e[[stat]] <- num(fit$zval)
    e <- c(e, list(pval = num(fit$pval), ci_lb = num(fit$ci.lb), ci_ub = num(fit$ci.ub)))
    # With a tau2 per level of a struct, predict gives an interval per level; evident gives none.
    if (length(pred$pi.lb) == 1) {
      e <- c(e, list(pi_lb = num(pred$pi.lb), pi_ub = num(pred$pi.ub)))
      # I2 as metafor's FAQ ("I^2 for multilevel and multivariate models", after Nakagawa &
      # Santos 2012) computes it: the summed components (a struct's one tau2 among them) against
      # (k - p) / tr(P), P = W - W X (X'WX)^-1 X'W with W = diag(1 / vi).
      W <- diag(1 / fit$vi, nrow = fit$k)
      X <- model.matrix(fit)
      P <- W - W %*% X %*% solve(t(X) %*% W %*% X) %*% t(X) %*% W
      total <- sum(fit$sigma2) + if (isTRUE(fit$withG)) sum(fit$tau2) else 0
      e$I2 <- num(100 * total / (total + (fit$k - fit$p) / sum(diag(P))))
    }
  } else {
    e$p <- fit$p
    e$coefficients <- coefficient_list(fit, stat)
    e$QM <- num(fit$QM)
    e$QM_df <- fit$QMdf[1]
    if (fit$test == "t") e$QM_ddf <- fit$QMdf[2]
    e$QM_p <- num(fit$QMp)
  }
  if (fit$test == "t") e$df <- fit$ddf[[1]]
  sigma2 <- ifelse(fit$sigma2 < boundary, 0, fit$sigma2)
  e$sigma2 <- nums(sigma2)
  e$sigma2_names <- as.list(unname(fit$s.names))
  fs <- fitstats(fit)[, 1]
  e <- c(e, list(QE = num(fit$QE), QE_df = fit$k - fit$p, QE_p = num(fit$QEp),
                 logLik = num(fs[1]), deviance = num(fs[2]), AIC = num(fs[3]), BIC = num(fs[4]),
                 AICc = num(fs[5])))
  tolerance <- list()
  for (j in which(fit$sigma2 < boundary)) {
    tolerance[[sprintf("sigma2[%d]", j - 1)]] <- boundary_tolerance
  }
  list(expected = e, tolerance = tolerance)
}

# robust(): CR1 (metafor's own, adjust = TRUE) or CR2 (clubSandwich: vcovCR type CR2,
# coef_test Satterthwaite, Wald_test HTZ).
robust_of <- function(fit, cluster_name, cluster, small_sample) {
  rob <- do.call(robust, list(fit, cluster = cluster, adjust = TRUE,
                              clubSandwich = small_sample == "CR2"))
  df <- rep_len(rob$dfs, rob$p)
  coefficients <- lapply(seq_len(rob$p), function(j) {
    list(name = rownames(rob$beta)[j], estimate = num(rob$beta[j]), se = num(rob$se[j]),
         tval = num(rob$zval[j]), df = num(df[j]), pval = num(rob$pval[j]),
         ci_lb = num(rob$ci.lb[j]), ci_ub = num(rob$ci.ub[j]))
  })
  list(cluster = cluster_name, n_clusters = rob$n, small_sample = small_sample,
       coefficients = coefficients, QM = num(rob$QM), QM_df = num(rob$QMdf[1]),
       QM_ddf = num(rob$QMdf[2]), QM_p = num(rob$QMp))
}

# Profile-likelihood CIs of every sigma2 (confint), as [[lb, ub], ...]. The profile refits use
# the fit's control; started at the full model's sigma2 and at rel.tol 1e-12, nlminb fails on
# some profile points, so they run at metafor's default control. Each bound that is a root (not
# truncated at 0) is checked: the other sigma2 re-estimated by Fisher scoring, the likelihood
# ratio statistic must be qchisq(0.95, 1) to 1e-6.
sigma2_ci_of <- function(fit) {
  ref <- fit$reference
  fit$control <- list()
  ci <- confint(fit, control = confint_control)
  if (length(fit$sigma2) == 1) ci <- list(ci) else ci <- ci[seq_along(fit$sigma2)]
  target <- qchisq(level / 100, df = 1)
  lapply(seq_along(ci), function(j) {
    bounds <- ci[[j]]$random[1, c("ci.lb", "ci.ub")]
    for (b in bounds[bounds > 0]) {
      fixed <- rep(NA_real_, length(fit$sigma2))
      fixed[j] <- b
      th <- fisher_scoring(ref$y, ref$V, ref$X, ref$D, ref$reml, fixed)
      lrt <- 2 * (ref$ll - log_likelihood(ref$y, ref$V, ref$X, ref$D, th, ref$reml))
      if (abs(lrt - target) > 1e-6) {
        stop(sprintf("sigma2[%d] profile bound %.17g: LRT %.17g, not %.17g", j, b, lrt, target))
      }
    }
    nums(bounds)
  })
}

# ---------------------------------------------------------------------------------------------
# Correlated random effects (`~ inner | outer`, struct). The independent solution: the (RE)ML
# log-likelihood computed here from G built here (G_lm = tau_l tau_m corr(l, m), Structure in
# evident's model/multilevel.hpp, metafor's struct), maximised by optim's BFGS on log tau2 and
# atanh rho (UN: on the Cholesky factor of G, as metafor) from metafor's default fit. metafor's
# fit is then run again started at that solution with rel.tol 1e-12 (1e-10 when nlminb reports
# false convergence at 1e-12). The script stops unless metafor's log-likelihood equals the one
# recomputed here to 1e-9, is at least the independent maximum's (less 1e-9 relative), and every
# tau2 and rho agrees with the independent solution to 1e-5 (BFGS on numerical gradients is the
# less precise of the two; the expected values are metafor's).

structure_G <- function(struct, L, tau2, rho) {
  tau <- sqrt(rep_len(tau2, L))
  C <- diag(L)
  for (a in seq_len(L)) for (b in seq_len(L)) {
    if (a == b) next
    C[a, b] <- switch(struct, CS = , HCS = rho, AR = , HAR = rho^abs(a - b), ID = , DIAG = 0,
                      UN = {
                        lo <- min(a, b); hi <- max(a, b)
                        rho[(lo - 1) * L - (lo - 1) * lo / 2 + (hi - lo)]
                      })
  }
  outer(tau, tau) * C
}

struct_counts <- function(struct, L) {
  c(tau2 = if (struct %in% c("CS", "ID", "AR")) 1 else L,
    rho = switch(struct, CS = , HCS = , AR = , HAR = 1, ID = , DIAG = 0, UN = L * (L - 1) / 2))
}

struct_log_likelihood <- function(y, vi, X, inner, outer, struct, tau2, rho, reml) {
  L <- max(inner)
  G <- structure_G(struct, L, tau2, rho)
  M <- diag(vi) + outer(outer, outer, "==") * G[inner, inner]
  D <- list()
  log_likelihood(y, M, X, D, numeric(0), reml)
}

struct_independent <- function(y, vi, X, inner, outer, struct, reml, start_tau2, start_rho) {
  L <- max(inner)
  n <- struct_counts(struct, L)
  unpack <- function(phi) {
    if (struct == "UN") {
      Lm <- matrix(0, L, L)
      Lm[lower.tri(Lm, diag = TRUE)] <- phi
      G <- Lm %*% t(Lm)
      C <- cov2cor(G)
      return(list(tau2 = diag(G), rho = C[lower.tri(C)]))
    }
    list(tau2 = exp(phi[seq_len(n[["tau2"]])]), rho = tanh(phi[-seq_len(n[["tau2"]])]))
  }
  phi0 <- if (struct == "UN") {
    Lm <- t(chol(structure_G(struct, L, start_tau2, start_rho)))
    Lm[lower.tri(Lm, diag = TRUE)]
  } else c(log(start_tau2), if (n[["rho"]] > 0) atanh(start_rho))  # ID, DIAG: no rho
  f <- function(phi) {
    p <- unpack(phi)
    -struct_log_likelihood(y, vi, X, inner, outer, struct, p$tau2, p$rho, reml)
  }
  # BFGS on numerical gradients can stop early on a flat ridge; so it is restarted from a
  # Nelder-Mead step off where it stopped until the value no longer improves.
  o <- optim(phi0, f, method = "BFGS", control = list(reltol = 1e-15, maxit = 10000))
  for (restart in seq_len(if (length(phi0) > 1) 5 else 0)) {  # (one dimension: BFGS suffices)
    nm <- optim(o$par, f, method = "Nelder-Mead", control = list(reltol = 1e-15, maxit = 20000))
    again <- optim(nm$par, f, method = "BFGS", control = list(reltol = 1e-15, maxit = 10000))
    improved <- again$value < o$value - 1e-15 * abs(o$value)
    if (again$value <= o$value) o <- again
    if (!improved) break
  }
  c(unpack(o$par), list(ll = -o$value))
}

# Note: UN's rho are listed (1,2), (1,3), ..., (2,3), ... in both evident and metafor (the lower
# triangle of the correlation matrix, column by column).
fit_struct <- function(d, inner_name, outer_name, struct, method, mods = NULL) {
  X <- if (is.null(mods)) matrix(1, nrow(d), 1) else model.matrix(mods, d)
  random <- as.formula(sprintf("~ %s | %s", inner_name, outer_name))
  args <- list(yi = d$yi, V = d$vi, random = random, struct = struct, data = d, method = method,
               test = "z", level = level)
  if (!is.null(mods)) args$mods <- mods
  default <- do.call(rma.mv, args)
  levels_in <- sort(unique(d[[inner_name]]))
  inner <- match(d[[inner_name]], levels_in)
  outer <- match(d[[outer_name]], unique(d[[outer_name]]))
  reml <- method == "REML"
  ind <- struct_independent(d$yi, d$vi, X, inner, outer, struct, reml, default$tau2,
                            if (length(default$rho)) default$rho else numeric(0))
  fit <- NULL
  for (tol in c(1e-12, 1e-10)) {
    args$control <- list(rel.tol = tol, iter.max = 10000, eval.max = 10000,
                         tau2.init = ind$tau2)
    if (length(ind$rho)) args$control$rho.init <- ind$rho
    fit <- tryCatch(do.call(rma.mv, args), error = function(e) NULL)
    if (!is.null(fit)) break
  }
  if (is.null(fit)) stop(sprintf("%s %s: metafor does not converge from the solution", struct,
                                 inner_name))
  ll <- struct_log_likelihood(d$yi, d$vi, X, inner, outer, struct, fit$tau2, fit$rho, reml)
  if (abs(ll - logLik(fit)) > 1e-9 * abs(ll)) {
    stop(sprintf("%s: log-likelihood: rma.mv %.17g, formula %.17g", struct, logLik(fit), ll))
  }
  if (ll < ind$ll - 1e-9 * abs(ll)) {
    stop(sprintf("%s: rma.mv's log-likelihood %.17g below the independent %.17g", struct, ll,
                 ind$ll))
  }
  agree <- function(a, b, what) {
    if (any(abs(a - b) > 1e-5 * pmax(abs(a), abs(b), 1e-3))) {
      stop(sprintf("%s %s: rma.mv %s, independent %s", struct, what, toString(a), toString(b)))
    }
  }
  agree(fit$tau2, ind$tau2, "tau2")
  if (length(fit$rho)) agree(fit$rho, ind$rho, "rho")
  fit
}

# An rma.mv fit with a struct -> expected keys: as expected_of, with tau2 (a number, or one per
# level) and rho (a number, or UN's full correlation matrix) in place of sigma2's keys.
struct_expected_of <- function(fit, struct) {
  r <- expected_of(fit)
  e <- r$expected
  e$sigma2 <- list()
  e$sigma2_names <- list()
  per_level <- struct %in% c("HCS", "UN", "DIAG", "HAR")
  e$tau2 <- if (per_level) nums(fit$tau2) else num(fit$tau2)
  if (struct == "UN") {
    e$rho <- lapply(seq_len(nrow(fit$G)), function(a) nums(cov2cor(fit$G)[a, ]))
  } else if (struct %in% c("ID", "DIAG")) {
    e$rho <- json_value("null")
  } else {
    e$rho <- num(fit$rho)
  }
  list(expected = e, tolerance = list())
}

warnings_seen <- character()
case <- function(name, args, compute) {
  warned <- character()
  res <- withCallingHandlers(compute(), warning = function(w) {
    warned <<- c(warned, conditionMessage(w))
    invokeRestart("muffleWarning")
  })
  out <- list(name = name, args = as.list(args), expected = res$expected)
  if (length(res$tolerance) > 0) out$absolute_tolerance <- res$tolerance
  if (length(warned) > 0) {
    out$warning <- paste(unique(warned), collapse = "; ")
    warnings_seen <<- c(warnings_seen, sprintf("%s: %s", name, out$warning))
  }
  out
}

# ---------------------------------------------------------------------------------------------
# Data sets written by this script.

own_data <- list(
  multilevel_konstantopoulos2011 = function() {
    # Modified school calendars: 56 schools in 11 districts; year_c is the year centred at 1990.
    d <- dat.konstantopoulos2011
    data.frame(study = d$study, yi = d$yi, vi = d$vi, district = d$district, school = d$school,
               year = d$year, year_c = d$year - 1990)
  },
  multilevel_assink2016 = function() {
    # Delinquency in youth: 100 effect sizes (esid) in 17 studies; year as centred by metadat.
    d <- dat.assink2016
    data.frame(study = d$study, esid = d$esid, yi = d$yi, vi = d$vi, year = d$year,
               deltype = as.character(d$deltype))
  },
  multilevel_berkey1998 = function() {
    # Periodontal surgery: 5 trials, two outcomes each (PD, AL); the sampling covariances of
    # metadat's v1i/v2i are left out (V diagonal), so the model is rma.mv(yi, vi, ...).
    d <- dat.berkey1998
    data.frame(trial = d$trial, outcome = as.character(d$outcome), yi = d$yi, vi = d$vi)
  },
  multilevel_kalaian1996 = function() {
    # Coaching for the SAT: 47 studies, verbal and math outcomes (20 studies with both); V
    # diagonal. Under UN both tau2 are 0 at the maximum, where rho is not identified.
    d <- dat.kalaian1996
    data.frame(study = d$study, outcome = as.character(d$outcome), yi = d$yi, vi = d$vi)
  }
)

roots <- NULL
read_own <- function(path) read.csv(file.path(roots$own, path), stringsAsFactors = FALSE)

expected_files <- list(
  multilevel_konstantopoulos2011 = function() {
    d <- read_own("data/multilevel_konstantopoulos2011.csv")
    nested <- ~ 1 | district/school
    groups <- list(d$district, paste(d$district, d$school, sep = "/"))
    ra <- c("--random", "~ 1 | district/school")
    m <- function(method, test, ...) fit_model(d, nested, groups, method, test, ...)
    one <- function(method, test, ...) function() expected_of(m(method, test, ...))
    with_ci <- function() {
      fit <- m("REML", "z")
      r <- expected_of(fit)
      r$expected$sigma2_ci <- sigma2_ci_of(fit)
      # Each estimate's share of the weight (weights() of an rma.mv fit: the diagonal of W).
      r$expected$studies <- lapply(unname(weights(fit)), function(w) list(weight = num(w)))
      for (i in 0:1) for (j in 0:1) {
        r$tolerance[[sprintf("sigma2_ci[%d][%d]", i, j)]] <- ci_tolerance
      }
      r
    }
    robust_case <- function(mods, small_sample) function() {
      fit <- m("REML", "z", mods = mods)
      r <- expected_of(fit)
      r$expected$robust <- robust_of(fit, "district", d$district, small_sample)
      r
    }
    crossed <- function() {
      expected_of(fit_model(d, list(~ 1 | district, ~ 1 | year), list(d$district, d$year),
                            "REML", "z"))
    }
    list(input = "data/multilevel_konstantopoulos2011.csv", cases = list(
      case("REML_z", c(ra, "--method", "REML", "--test", "z"), with_ci),
      case("ML_z", c(ra, "--method", "ML", "--test", "z"), one("ML", "z")),
      case("REML_t", c(ra, "--method", "REML", "--test", "t"), one("REML", "t")),
      case("ML_t", c(ra, "--method", "ML", "--test", "t"), one("ML", "t")),
      case("year_c_REML_z", c(ra, "--mods", "year_c", "--method", "REML", "--test", "z"),
           one("REML", "z", mods = ~ year_c)),
      case("year_c_ML_z", c(ra, "--mods", "year_c", "--method", "ML", "--test", "z"),
           one("ML", "z", mods = ~ year_c)),
      case("year_c_REML_t", c(ra, "--mods", "year_c", "--method", "REML", "--test", "t"),
           one("REML", "t", mods = ~ year_c)),
      case("crossed_district_year_REML_z",
           c("--random", "~ 1 | district", "--random", "~ 1 | year", "--method", "REML",
             "--test", "z"), crossed),
      case("robust_CR1_REML_z", c(ra, "--method", "REML", "--test", "z", "--robust", "district",
                                  "--small-sample", "CR1"), robust_case(NULL, "CR1")),
      case("robust_CR2_REML_z", c(ra, "--method", "REML", "--test", "z", "--robust", "district",
                                  "--small-sample", "CR2"), robust_case(NULL, "CR2")),
      case("year_c_robust_CR1_REML_z",
           c(ra, "--mods", "year_c", "--method", "REML", "--test", "z", "--robust", "district",
             "--small-sample", "CR1"), robust_case(~ year_c, "CR1")),
      case("year_c_robust_CR2_REML_z",
           c(ra, "--mods", "year_c", "--method", "REML", "--test", "z", "--robust", "district",
             "--small-sample", "CR2"), robust_case(~ year_c, "CR2"))))
  },
  multilevel_assink2016 = function() {
    d <- read_own("data/multilevel_assink2016.csv")
    nested <- ~ 1 | study/esid
    groups <- list(d$study, paste(d$study, d$esid, sep = "/"))
    ra <- c("--random", "~ 1 | study/esid")
    one <- function(method, test, ...) {
      function() expected_of(fit_model(d, nested, groups, method, test, ...))
    }
    correlated <- function() {
      V <- vcalc(vi, cluster = study, obs = esid, rho = 0.6, data = d)
      expected_of(fit_model(d, nested, groups, "REML", "z", V = V))
    }
    robust_deltype <- function(small_sample) function() {
      fit <- fit_model(d, nested, groups, "REML", "z", mods = ~ deltype)
      r <- expected_of(fit)
      r$expected$robust <- robust_of(fit, "study", d$study, small_sample)
      r
    }
    list(input = "data/multilevel_assink2016.csv", cases = list(
      case("REML_z", c(ra, "--method", "REML", "--test", "z"), one("REML", "z")),
      case("ML_z", c(ra, "--method", "ML", "--test", "z"), one("ML", "z")),
      case("deltype_REML_z", c(ra, "--mods", "deltype", "--method", "REML", "--test", "z"),
           one("REML", "z", mods = ~ deltype)),
      case("deltype_cells_REML_t", c(ra, "--mods", "deltype - 1", "--method", "REML", "--test",
                                     "t"), one("REML", "t", mods = ~ deltype - 1)),
      # Two moderator coefficients: CR2's omnibus test is Hotelling's T^2 (HTZ).
      case("deltype_robust_CR2_REML_z",
           c(ra, "--mods", "deltype", "--method", "REML", "--test", "z", "--robust", "study",
             "--small-sample", "CR2"), robust_deltype("CR2")),
      case("deltype_robust_CR1_REML_z",
           c(ra, "--mods", "deltype", "--method", "REML", "--test", "z", "--robust", "study",
             "--small-sample", "CR1"), robust_deltype("CR1")),
      case("rho06_REML_z", c(ra, "--rho", "0.6", "--cluster", "study", "--obs", "esid",
                             "--method", "REML", "--test", "z"), correlated),
      struct_case(d, "deltype", "study", "CS", "REML"),
      struct_case(d, "deltype", "study", "CS", "ML"),
      # (HCS is not compared here: covert's tau2 rests on few studies, the likelihood is so
      # flat along it that metafor's fit stops 4e-6 from the maximum, where the score is 1e-6.)
      struct_case(d, "deltype", "study", "ID", "REML"),
      struct_case(d, "deltype", "study", "DIAG", "REML"),
      struct_case(d, "esid", "study", "AR", "REML"),
      struct_case(d, "esid", "study", "AR", "REML", "deltype")))
  },
  multilevel_berkey1998 = function() {
    d <- read_own("data/multilevel_berkey1998.csv")
    list(input = "data/multilevel_berkey1998.csv", cases = list(
      struct_case(d, "outcome", "trial", "UN", "REML", "outcome"),
      # The multivariate model as it is usually written: one coefficient per outcome.
      struct_case(d, "outcome", "trial", "UN", "REML", "outcome - 1"),
      struct_case(d, "outcome", "trial", "UN", "REML", "outcome", "CR1"),
      struct_case(d, "outcome", "trial", "UN", "REML", "outcome", "CR2"),
      struct_case(d, "outcome", "trial", "HCS", "REML", "outcome"),
      struct_case(d, "outcome", "trial", "CS", "ML", "outcome")))
  },
  multilevel_kalaian1996 = function() {
    d <- read_own("data/multilevel_kalaian1996.csv")
    un_at_zero <- function() {
      fit <- rma.mv(yi, vi, random = ~ outcome | study, struct = "UN", data = d,
                    method = "REML", test = "z", level = level, control = rma_control)
      # Checked a second way: G = 0 is the maximum when the model without the random effect
      # (the common-effect fit) has the same restricted likelihood.
      fe <- rma.mv(yi, vi, data = d, method = "REML", test = "z", level = level)
      if (abs(logLik(fit) - logLik(fe)) > 1e-9 * abs(logLik(fe)) || max(fit$tau2) > 1e-8) {
        stop("kalaian1996 UN: the maximum is not at G = 0")
      }
      r <- struct_expected_of(fit, "UN")
      # Both tau2 at 0 and rho not identified (metafor's is wherever its optimiser stopped).
      r$expected$tau2 <- list(num(0), num(0))
      r$expected$rho <- list(list(num(1), json_value("null")), list(json_value("null"), num(1)))
      r$tolerance[["tau2[0]"]] <- boundary_tolerance
      r$tolerance[["tau2[1]"]] <- boundary_tolerance
      r
    }
    list(input = "data/multilevel_kalaian1996.csv", cases = list(
      case("struct_UN_outcome_REML_at_zero",
           c("--random", "~ outcome | study", "--struct", "UN", "--method", "REML", "--test",
             "z"), un_at_zero)))
  }
)

# A case `--random "~ inner | outer" --struct S` (with `--mods mods`, and cluster-robust
# inference clustered by the outer factor with `small_sample`).
struct_case <- function(d, inner, outer, struct, method, mods = NULL, small_sample = NULL) {
  args <- c("--random", sprintf("~ %s | %s", inner, outer), "--struct", struct, "--method",
            method, "--test", "z")
  if (!is.null(mods)) args <- c(args, "--mods", mods)
  if (!is.null(small_sample)) args <- c(args, "--robust", outer, "--small-sample", small_sample)
  name <- sprintf("struct_%s_%s_%s%s%s", struct, inner, method,
                  if (is.null(mods)) "" else paste0("_", gsub("[^A-Za-z0-9]+", "_", mods)),
                  if (is.null(small_sample)) "" else paste0("_robust_", small_sample))
  f <- if (is.null(mods)) NULL else as.formula(paste("~", mods))
  case(name, args, function() {
    fit <- fit_struct(d, inner, outer, struct, method, f)
    r <- struct_expected_of(fit, struct)
    if (!is.null(small_sample)) {
      r$expected$robust <- robust_of(fit, outer, d[[outer]], small_sample)
      # A robust interval's bound near 0 (b - t se with b and t se close) has few significant
      # digits: compared to 1e-7 absolute, as the bounds' scale of 0.1 to 1 makes 1e-6 relative.
      for (j in seq_len(fit$p) - 1) for (b in c("ci_lb", "ci_ub")) {
        r$tolerance[[sprintf("robust.coefficients[%d].%s", j, b)]] <- 1e-7
      }
    }
    r
  })
}

# ---------------------------------------------------------------------------------------------

generate <- function(outdir) {
  dir.create(file.path(outdir, "data"), recursive = TRUE, showWarnings = FALSE)
  dir.create(file.path(outdir, "expected"), recursive = TRUE, showWarnings = FALSE)
  for (name in names(own_data)) {
    write_csv(own_data[[name]](), file.path(outdir, "data", paste0(name, ".csv")))
  }
  # The data are read back from where they were just written, so the reference matches exactly
  # what evident reads.
  roots <<- list(own = outdir)
  warnings_seen <<- character()
  for (name in names(expected_files)) {
    spec <- expected_files[[name]]()
    doc <- list(generator = generator_string(), input = spec$input, cases = spec$cases)
    write_json(doc, file.path(outdir, "expected", paste0(name, ".json")))
    message(sprintf("%-45s %d cases", file.path("expected", paste0(name, ".json")),
                    length(spec$cases)))
  }
  if (length(warnings_seen) > 0) message("metafor warned: ", paste(warnings_seen, collapse = "\n"))
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
      return(c(diffs, sprintf("%s: committed has %d elements, regenerated %d", path, length(a),
                              length(b))))
    }
    for (i in seq_along(a)) diffs <- compare_json(a[[i]], b[[i]], sprintf("%s[%d]", path, i - 1),
                                                  diffs)
  } else if (ka == "number") {
    if (!numbers_equal(a, b)) {
      diffs <- c(diffs, sprintf("%s: committed %.17g, regenerated %.17g", path, a, b))
    }
  } else if (!identical(a, b)) {
    diffs <- c(diffs, sprintf("%s: committed %s, regenerated %s", path, format(a), format(b)))
  }
  diffs
}

check <- function(committed) {
  fresh <- tempfile("evident-multilevel-")
  on.exit(unlink(fresh, recursive = TRUE))
  generate(fresh)
  diffs <- character()
  for (f in list.files(file.path(fresh, "data"))) {
    path <- file.path(committed, "data", f)
    if (!file.exists(path)) {
      diffs <- c(diffs, sprintf("data/%s: not committed", f))
    } else if (!identical(readLines(path, warn = FALSE),
                          readLines(file.path(fresh, "data", f), warn = FALSE))) {
      diffs <- c(diffs, sprintf("data/%s: text differs", f))
    }
  }
  for (f in list.files(file.path(fresh, "expected"))) {
    path <- file.path(committed, "expected", f)
    if (!file.exists(path)) {
      diffs <- c(diffs, sprintf("expected/%s: not committed", f))
      next
    }
    a <- fromJSON(path, simplifyVector = FALSE)
    b <- fromJSON(file.path(fresh, "expected", f), simplifyVector = FALSE)
    if (!identical(a$generator, b$generator)) {
      message(sprintf("expected/%s: generated by %s, regenerated with %s", f, a$generator,
                      b$generator))
      a$generator <- b$generator
    }
    diffs <- compare_json(a, b, paste0("expected/", f), diffs)
  }
  if (length(diffs) > 0) {
    cat(diffs, sep = "\n")
    return(1L)
  }
  cat("multilevel reference files match a fresh run of metafor\n")
  0L
}

script_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  dirname(normalizePath(sub("^--file=", "", file_arg)))
}

main <- function(argv) {
  if (length(argv) != 1) {
    cat("usage: Rscript generate_multilevel.R OUTDIR | --check\n", file = stderr())
    return(2L)
  }
  if (argv == "--check") return(check(script_dir()))
  generate(argv)
  0L
}

quit(status = main(commandArgs(trailingOnly = TRUE)))
