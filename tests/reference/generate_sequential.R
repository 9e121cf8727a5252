#!/usr/bin/env Rscript
# Reference values for evident's trial sequential analysis (methods/sequential.hpp): Lan-DeMets
# group sequential boundaries, beta-spending futility boundaries, the required information size
# and the monitoring of cumulative meta-analyses. Base R and jsonlite only (metafor's cumul gives
# the cumulative meta-analyses of the monitoring cases).
#
#   Rscript tests/reference/generate_sequential.R OUTDIR   writes OUTDIR/expected/sequential/*.json
#   Rscript tests/reference/generate_sequential.R --check  regenerates into a temporary folder and
#                                                          compares with the committed files
#
# The boundaries are a direct transcription of the recursive numerical integration of Armitage,
# McPherson & Rowe (1969) as Jennison & Turnbull (2000, Group Sequential Methods with
# Applications to Clinical Trials, ch. 19) give it: the sub-density of the cumulative z statistic
# Z_k on the continuation region, carried from look to look by the normal transition density of
# the independent increments (Cov(Z_i, Z_j) = sqrt(t_i / t_j)), integrated by Simpson's rule on
# their grid (6r - 1 points around the mean, equally spaced within 3 standard deviations and
# logarithmically spaced beyond, cut at the boundaries, which become grid points, plus the
# midpoints). Every design is computed twice, on grids r = 64 and r = 128, which must agree to
# 1e-8 (the script stops otherwise; r = 128 is written), and checked against a Monte Carlo
# simulation of the z statistics (fixed seed): each crossing probability must be within 5
# standard errors of the error it should spend.

suppressPackageStartupMessages(library(jsonlite))

reference_r <- 128
coarse_r <- 64
# Cumulative meta-analyses have looks close together (a small trial after a large one) where the
# boundaries are in the grid's logarithmically spaced tails: their grids are finer.
monitoring_r <- 512
monitoring_coarse_r <- 256
grid_agreement <- 1e-8
# Where a look would spend so little alpha that its single-look boundary exceeds 12 (a two-sided
# p-value below 4e-33) it spends none: no path crosses such a boundary, and the grids (17 to 23
# standard deviations wide) cannot resolve the probabilities it would take.
max_boundary <- 12
check_rel_tol <- 1e-9
check_abs_tol <- 1e-12

format_number <- function(x) {
  if (is.na(x)) return(NA_character_)
  if (is.infinite(x)) return(if (x > 0) "Infinity" else "-Infinity")
  for (digits in 15:16) {
    s <- sprintf("%.*g", digits, x)
    if (as.numeric(s) == x) return(s)
  }
  sprintf("%.17g", x)
}

# JSON numbers with every digit; infinite boundaries (no error left to spend) are written as
# null with the key listed in "infinite".
as_json_numbers <- function(x) {
  lapply(x, function(v) if (is.finite(v)) v else NULL)
}

# ---- spending functions (Lan & DeMets 1983, Biometrika 70:659-663) --------------------------

# The error spent by information fraction t by a one-sided test of level `total`; a two-sided
# symmetric design spends alpha / 2 on each side, so that O'Brien-Fleming's type spends
# 4 - 4 Phi(z(1 - alpha / 4) / sqrt(t)) in all (as TSA, RTSA and gsDesign do).
spent <- function(kind, total, t) {
  t <- pmin(t, 1)
  switch(kind,
    obf = ifelse(t > 0, 2 * pnorm(qnorm(1 - total / 2) / sqrt(t), lower.tail = FALSE), 0),
    pocock = total * log(1 + (exp(1) - 1) * t))
}

# ---- Jennison & Turnbull's grid (ch. 19) ----------------------------------------------

base_grid <- function(r) {
  i <- seq_len(6 * r - 1)
  ifelse(i < r, -3 - 4 * log(r / i),
         ifelse(i <= 5 * r, -3 + 3 * (i - r) / (2 * r), 3 + 4 * log(r / (6 * r - i))))
}

# Simpson nodes and weights on (lo, hi), for a statistic with mean `centre`.
interval_nodes <- function(r, centre, lo, hi) {
  none <- list(z = numeric(0), w = numeric(0))
  if (!(lo < hi)) return(none)
  x <- centre + base_grid(r)
  y <- c(if (lo > x[1]) lo, x[x > lo & x < hi], if (hi < x[length(x)]) hi)
  n <- length(y)
  if (n < 2) return(none)
  z <- numeric(2 * n - 1)
  z[seq(1, 2 * n - 1, 2)] <- y
  z[seq(2, 2 * n - 2, 2)] <- (y[-1] + y[-n]) / 2
  d <- diff(y)
  w <- numeric(2 * n - 1)
  w[seq(2, 2 * n - 2, 2)] <- 4 * d / 6
  w[seq(1, 2 * n - 1, 2)] <- c(d, 0) / 6 + c(0, d) / 6
  list(z = z, w = w)
}

# The continuation region at a look: |z| < b, less the inner wedge |z| <= a when a > 0.
region_nodes <- function(r, centre, a, b) {
  if (is.na(a) || a <= 0) return(interval_nodes(r, centre, -b, b))
  lower <- interval_nodes(r, centre, -b, -a)
  upper <- interval_nodes(r, centre, a, b)
  list(z = c(lower$z, upper$z), w = c(lower$w, upper$w))
}

# The state after look k: nodes, weights and the sub-density of Z_k (paths still going).
first_state <- function(nodes, t1, theta) {
  c(nodes, list(f = dnorm(nodes$z - theta * sqrt(t1)), t = t1))
}

next_state <- function(state, nodes, tk, theta) {
  dk <- tk - state$t
  W <- state$w * state$f
  arg <- outer(nodes$z * sqrt(tk), state$z * sqrt(state$t) + theta * dk, "-") / sqrt(dk)
  f <- if (length(W) == 0) numeric(length(nodes$z)) else as.vector(dnorm(arg) %*% W)
  c(nodes, list(f = f * sqrt(tk / dk), t = tk))
}

# P(Z_k >= x, no earlier stop) and P(Z_k <= x, no earlier stop) given the state after look k - 1
# (NULL at the first look).
upper_tail <- function(state, x, tk, theta) {
  if (is.null(state)) return(pnorm(x - theta * sqrt(tk), lower.tail = FALSE))
  dk <- tk - state$t
  sum(state$w * state$f *
        pnorm((x * sqrt(tk) - state$z * sqrt(state$t) - theta * dk) / sqrt(dk), lower.tail = FALSE))
}

lower_tail <- function(state, x, tk, theta) {
  if (is.null(state)) return(pnorm(x - theta * sqrt(tk)))
  dk <- tk - state$t
  sum(state$w * state$f * pnorm((x * sqrt(tk) - state$z * sqrt(state$t) - theta * dk) / sqrt(dk)))
}

# P(|Z_k| < a, no earlier stop).
inside <- function(state, a, tk, theta) {
  if (is.null(state)) return(pnorm(a - theta * sqrt(tk)) - pnorm(-a - theta * sqrt(tk)))
  dk <- tk - state$t
  m <- state$z * sqrt(state$t) + theta * dk
  sum(state$w * state$f * (pnorm((a * sqrt(tk) - m) / sqrt(dk)) - pnorm((-a * sqrt(tk) - m) / sqrt(dk))))
}

solve_root <- function(f, lo, hi) {
  uniroot(f, c(lo, hi), tol = 1e-15, maxiter = 1000)$root
}

# ---- boundaries -----------------------------------------------------------------------------

# Two-sided symmetric Lan-DeMets boundaries at information fractions t (t may exceed 1: the error
# left is spent at the first look with t >= 1 and monitoring ends there). With futility, the
# inner wedge a_k spends beta under the drift theta = z(1 - alpha/2) + z(1 - beta) (E Z_k =
# theta sqrt(t_k)); binding futility is part of the continuation region under H0 too, and at the
# last monitored look the wedge closes (a = b).
design <- function(t, alpha, spending, futility = "none", beta = 0.2,
                   beta_spending = spending, r = reference_r) {
  m <- length(t)
  final <- which(t >= 1)[1]
  last <- if (is.na(final)) m else final
  theta <- qnorm(1 - alpha / 2) + qnorm(1 - beta)
  d_alpha <- diff(c(0, 2 * spent(spending, alpha / 2, t)))
  d_beta <- diff(c(0, spent(beta_spending, beta, t)))
  efficacy <- rep(Inf, m)
  wedge <- rep(NA_real_, m)
  alpha_crossing <- rep(0, m)
  futility_crossing <- rep(if (futility == "none") NA_real_ else 0, m)
  power <- if (futility == "none") NA_real_ else 0
  s0 <- NULL
  s1 <- NULL
  for (k in seq_len(last)) {
    tk <- t[k]
    if (d_alpha[k] > 0) {
      total <- function(b) upper_tail(s0, b, tk, 0) + lower_tail(s0, -b, tk, 0)
      marginal <- qnorm(d_alpha[k] / 2, lower.tail = FALSE)
      if (marginal > max_boundary) {
        efficacy[k] <- Inf
      } else if (total(0) <= d_alpha[k]) {
        efficacy[k] <- 0
      } else if (total(marginal) >= d_alpha[k]) {
        efficacy[k] <- marginal
      } else {
        efficacy[k] <- solve_root(function(b) log(max(total(b), .Machine$double.xmin)) - log(d_alpha[k]),
                                  0, marginal)
      }
      alpha_crossing[k] <- if (is.finite(efficacy[k])) total(efficacy[k]) else 0
    }
    b <- efficacy[k]
    if (futility != "none") {
      if (!is.na(final) && k == final) {
        wedge[k] <- b
      } else if (d_beta[k] <= 0) {
        wedge[k] <- 0
      } else {
        cap <- if (is.finite(b)) b else theta * sqrt(tk) + 40
        if (inside(s1, cap, tk, theta) <= d_beta[k]) {
          wedge[k] <- b
        } else {
          wedge[k] <- solve_root(function(a) inside(s1, a, tk, theta) - d_beta[k], 0, cap)
        }
      }
      futility_crossing[k] <- if (is.finite(wedge[k])) inside(s1, wedge[k], tk, theta) else
        inside(s1, theta * sqrt(tk) + 40, tk, theta)
      power <- power + (if (is.finite(b)) upper_tail(s1, b, tk, theta) else 0)
    }
    if (k < last) {
      a0 <- if (futility == "binding") wedge[k] else NA
      n0 <- region_nodes(r, 0, a0, b)
      s0 <- if (is.null(s0)) first_state(n0, tk, 0) else next_state(s0, n0, tk, 0)
      if (futility != "none") {
        n1 <- region_nodes(r, theta * sqrt(tk), wedge[k], b)
        s1 <- if (is.null(s1)) first_state(n1, tk, theta) else next_state(s1, n1, tk, theta)
      }
    }
  }
  list(efficacy = efficacy, futility = wedge, alpha_spent = cumsum(d_alpha),
       alpha_crossing = alpha_crossing,
       beta_spent = if (futility == "none") rep(NA_real_, m) else cumsum(d_beta),
       futility_crossing = futility_crossing, drift = theta, power = power, final = final,
       d_alpha = d_alpha, d_beta = d_beta)
}

# ---- Monte Carlo check of a design -----------------------------------------------------------

# Simulates the cumulative z statistics under drift theta, stops each path at its first exit,
# and compares the proportion exiting at each look with the probability the design says.
monte_carlo_check <- function(name, t, d, futility, n = 400000L, seed = 20260101L) {
  set.seed(seed)
  last <- if (is.na(d$final)) length(t) else d$final
  wedge <- if (futility == "none") rep(0, length(t)) else d$futility
  # Under H0 paths stop at an efficacy crossing, and at a futility stop only when it binds; the
  # crossings must spend the alpha of the spending function. Under the drift they stop at
  # either, and the futility stops must be the probabilities the design reports.
  simulate <- function(theta, futility_stops) {
    s <- numeric(n)
    going <- rep(TRUE, n)
    previous <- 0
    crossed <- numeric(last)
    stopped_futile <- numeric(last)
    for (k in seq_len(last)) {
      s <- s + rnorm(n, theta * (t[k] - previous), sqrt(t[k] - previous))
      previous <- t[k]
      z <- abs(s / sqrt(t[k]))
      cross <- going & z >= d$efficacy[k]
      futile <- going & z < wedge[k]
      crossed[k] <- sum(cross) / n
      stopped_futile[k] <- sum(futile) / n
      going <- going & !cross & !(futility_stops & futile)
    }
    list(crossed = crossed, futile = stopped_futile)
  }
  agree <- function(simulated, computed, what) {
    for (k in seq_along(computed)) {
      p <- computed[k]
      se <- sqrt(max(p * (1 - p), 1 / n) / n)
      if (abs(simulated[k] - p) > 5 * se) {
        stop(sprintf("%s: Monte Carlo %s at look %d: %.6g simulated, %.6g computed", name, what,
                     k, simulated[k], p))
      }
    }
  }
  h0 <- simulate(0, futility == "binding")
  agree(h0$crossed, d$d_alpha[seq_len(last)], "alpha spent")
  if (futility != "none") {
    h1 <- simulate(d$drift, TRUE)
    agree(h1$futile, d$futility_crossing[seq_len(last)], "futility stops")
  }
}

# ---- required information size (Wetterslev et al. 2008; Thorlund et al. 2011) ----------------

ris_binary <- function(pc, rrr, alpha, power) {
  pe <- pc * (1 - rrr)
  p <- (pc + pe) / 2
  4 * (qnorm(1 - alpha / 2) + qnorm(power))^2 * p * (1 - p) / (pc - pe)^2
}

ris_continuous <- function(delta, sd, alpha, power) {
  4 * (qnorm(1 - alpha / 2) + qnorm(power))^2 * sd^2 / delta^2
}

# ---- cases -----------------------------------------------------------------------------------

designs <- list(
  list(name = "obf_5_equal", t = (1:5) / 5, alpha = 0.05, spending = "obf"),
  list(name = "pocock_5_equal", t = (1:5) / 5, alpha = 0.05, spending = "pocock"),
  list(name = "obf_2_equal", t = c(0.5, 1), alpha = 0.05, spending = "obf"),
  list(name = "pocock_3_equal", t = (1:3) / 3, alpha = 0.05, spending = "pocock"),
  list(name = "obf_10_equal", t = (1:10) / 10, alpha = 0.05, spending = "obf"),
  list(name = "pocock_10_equal", t = (1:10) / 10, alpha = 0.05, spending = "pocock"),
  list(name = "obf_4_unequal", t = c(0.15, 0.4, 0.55, 1), alpha = 0.05, spending = "obf"),
  list(name = "pocock_4_unequal", t = c(0.1, 0.45, 0.5, 1), alpha = 0.05, spending = "pocock"),
  list(name = "obf_6_alpha01", t = c(0.05, 0.12, 0.3, 0.47, 0.8, 0.95), alpha = 0.01,
       spending = "obf"),
  list(name = "obf_beyond", t = c(0.08, 0.3, 0.62, 1.35, 1.6), alpha = 0.05, spending = "obf"),
  list(name = "pocock_beyond", t = c(0.2, 0.5, 0.9, 1.1), alpha = 0.05, spending = "pocock"),
  list(name = "obf_first_beyond", t = c(1.2, 1.5), alpha = 0.05, spending = "obf"),
  list(name = "obf_7_interim_only", t = c(0.02, 0.06, 0.11, 0.19, 0.25, 0.33, 0.41),
       alpha = 0.05, spending = "obf"),
  list(name = "obf_futility_nonbinding", t = (1:5) / 5, alpha = 0.05, spending = "obf",
       futility = "nonbinding", beta = 0.2),
  list(name = "obf_futility_binding", t = (1:5) / 5, alpha = 0.05, spending = "obf",
       futility = "binding", beta = 0.2),
  list(name = "obf_futility_nonbinding_unequal", t = c(0.1, 0.35, 0.6, 0.85, 1.1),
       alpha = 0.05, spending = "obf", futility = "nonbinding", beta = 0.1),
  list(name = "pocock_futility_binding", t = c(0.25, 0.5, 0.75, 1), alpha = 0.05,
       spending = "pocock", futility = "binding", beta = 0.2, beta_spending = "pocock"),
  list(name = "obf_futility_interim_only", t = c(0.2, 0.45, 0.7), alpha = 0.05, spending = "obf",
       futility = "nonbinding", beta = 0.2))

run_design <- function(spec, r) {
  design(spec$t, spec$alpha, spec$spending, futility = if (is.null(spec$futility)) "none" else
           spec$futility, beta = if (is.null(spec$beta)) 0.2 else spec$beta,
         beta_spending = if (is.null(spec$beta_spending)) spec$spending else spec$beta_spending,
         r = r)
}

# The designs on the two grids must agree to `grid_agreement`.
check_grids <- function(name, fine, coarse, grids = c(coarse_r, reference_r)) {
  for (key in c("efficacy", "futility", "alpha_crossing", "futility_crossing")) {
    a <- fine[[key]]
    b <- coarse[[key]]
    same <- (is.na(a) & is.na(b)) | (is.infinite(a) & is.infinite(b) & a == b) |
      (is.finite(a) & is.finite(b) & abs(a - b) <= grid_agreement * pmax(1, abs(a)))
    if (!all(same)) {
      stop(sprintf("%s: %s differs between r = %d and r = %d by %.3g", name, key, grids[1],
                   grids[2], max(abs(a - b), na.rm = TRUE)))
    }
  }
  if (!is.na(fine$power) && abs(fine$power - coarse$power) > grid_agreement) {
    stop(sprintf("%s: power differs between grids", name))
  }
}

design_case <- function(spec) {
  futility <- if (is.null(spec$futility)) "none" else spec$futility
  fine <- run_design(spec, reference_r)
  check_grids(spec$name, fine, run_design(spec, coarse_r))
  monte_carlo_check(spec$name, spec$t, fine, futility)
  list(
    name = spec$name, t = spec$t, alpha = spec$alpha, spending = spec$spending,
    futility = futility, beta = if (is.null(spec$beta)) 0.2 else spec$beta,
    beta_spending = if (is.null(spec$beta_spending)) spec$spending else spec$beta_spending,
    expected = list(
      efficacy = as_json_numbers(fine$efficacy),
      futility = if (futility == "none") NULL else as_json_numbers(fine$futility),
      alpha_spent = fine$alpha_spent,
      alpha_crossing = fine$alpha_crossing,
      beta_spent = if (futility == "none") NULL else fine$beta_spent,
      futility_crossing = if (futility == "none") NULL else fine$futility_crossing,
      drift = fine$drift,
      power = if (futility == "none") NULL else fine$power,
      final_look = if (is.na(fine$final)) length(spec$t) else fine$final - 1))
}

information_cases <- function() {
  binary <- list(
    list(name = "binary_pc10_rrr20", control_risk = 0.10, rrr = 0.20, alpha = 0.05, power = 0.80),
    list(name = "binary_pc05_rrr25_strict", control_risk = 0.05, rrr = 0.25, alpha = 0.01,
         power = 0.90),
    list(name = "binary_pc30_rrr15", control_risk = 0.30, rrr = 0.15, alpha = 0.05, power = 0.90))
  continuous <- list(
    list(name = "continuous_md5_sd20", mean_difference = 5, sd = 20, alpha = 0.05, power = 0.80),
    list(name = "continuous_md_neg", mean_difference = -0.3, sd = 1.1, alpha = 0.01, power = 0.90))
  c(lapply(binary, function(x) c(list(outcome = "binary"), x,
                                 list(expected = ris_binary(x$control_risk, x$rrr, x$alpha,
                                                            x$power)))),
    lapply(continuous, function(x) c(list(outcome = "continuous"), x,
                                     list(expected = ris_continuous(x$mean_difference, x$sd,
                                                                    x$alpha, x$power)))))
}

# ---- monitoring a cumulative meta-analysis ---------------------------------------------------

# The TSA of cumulative estimates (the order of the vectors): z_j = estimate_j / se_j at
# t_j = participants_j / information size; the first look at which |z| >= b (efficacy) or, with
# futility, |z| < a decides; at the first look with t >= 1 the monitoring ends. The adjusted
# interval is the last estimate -/+ the boundary of the last monitored look times its SE.
monitor <- function(estimate, se, participants, information_size, spec, benefit = "lower") {
  futility <- if (is.null(spec$futility)) "none" else spec$futility
  t <- participants / information_size
  d <- run_design(c(spec, list(t = t)), monitoring_r)
  check_grids(spec$name, d, run_design(c(spec, list(t = t)), monitoring_coarse_r),
              c(monitoring_coarse_r, monitoring_r))
  z <- estimate / se
  last <- if (is.na(d$final)) length(t) else d$final
  conclusion <- "not_yet"
  decisive <- NA
  for (j in seq_len(last)) {
    if (abs(z[j]) >= d$efficacy[j]) {
      conclusion <- if ((z[j] < 0) == (benefit == "lower")) "benefit" else "harm"
      decisive <- j
      break
    }
    if (futility != "none" && abs(z[j]) < d$futility[j]) {
      conclusion <- "futility"
      decisive <- j
      break
    }
  }
  if (is.na(decisive) && !is.na(d$final)) {
    conclusion <- "information_size_reached"
    decisive <- d$final
  }
  n <- length(t)
  adjusted <- d$efficacy[min(n, last)]
  first <- function(hit) {
    j <- which(hit[seq_len(last)])
    if (length(j) == 0) NULL else j[1] - 1
  }
  list(
    z = z, information_fraction = t, efficacy = as_json_numbers(d$efficacy),
    futility = if (futility == "none") NULL else as_json_numbers(d$futility),
    ci_lb = as_json_numbers(estimate - d$efficacy * se),
    ci_ub = as_json_numbers(estimate + d$efficacy * se),
    first_upper = first(z >= d$efficacy), first_lower = first(z <= -d$efficacy),
    first_futility = if (futility == "none") NULL else first(abs(z) < d$futility),
    conclusion = conclusion, decisive_look = if (is.na(decisive)) NULL else decisive - 1,
    participants_needed = if (conclusion == "not_yet") information_size - participants[n] else 0,
    adjusted_z = if (is.finite(adjusted)) adjusted else NULL,
    adjusted_ci_lb = if (is.finite(adjusted)) estimate[n] - adjusted * se[n] else NULL,
    adjusted_ci_ub = if (is.finite(adjusted)) estimate[n] + adjusted * se[n] else NULL)
}

# Cumulative meta-analyses with metafor's cumul (inverse-variance common effect and
# DerSimonian-Laird), in the order of the data (publication year).
monitoring_cases <- function() {
  suppressPackageStartupMessages({
    library(metafor)
  })
  out <- list()
  add <- function(name, data, method, spec, ris, benefit = "lower") {
    fit <- rma(yi, vi, data = data, method = method)
    cm <- cumul(fit)
    participants <- cumsum(data$n)
    est <- as.vector(cm$estimate)
    se <- as.vector(cm$se)
    out[[length(out) + 1]] <<- c(
      list(name = name, estimate = est, se = se, participants = participants,
           information_size = ris, benefit = benefit, alpha = spec$alpha,
           spending = spec$spending, futility = if (is.null(spec$futility)) "none" else
             spec$futility, beta = if (is.null(spec$beta)) 0.2 else spec$beta,
           beta_spending = if (is.null(spec$beta_spending)) spec$spending else spec$beta_spending),
      list(expected = monitor(est, se, participants, ris, c(spec, list(name = name)), benefit)))
  }
  # Intravenous magnesium in acute myocardial infarction (dat.egger2001, log odds ratios): the
  # early small trials look convincing, ISIS-4 does not.
  mg <- escalc("OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001)
  mg$n <- mg$n1i + mg$n2i
  pc <- sum(mg$ci) / sum(mg$n2i)
  full_dl <- rma(yi, vi, data = mg, method = "DL")
  full_fe <- rma(yi, vi, data = mg, method = "FE")
  d2 <- max(0, (full_dl$se^2 - full_fe$se^2) / full_dl$se^2)
  ris_mg <- ris_binary(pc, 0.25, 0.05, 0.80) / (1 - d2)
  add("magnesium_fe_obf", mg, "FE", list(alpha = 0.05, spending = "obf"),
      ris_binary(pc, 0.25, 0.05, 0.80))
  add("magnesium_dl_obf_diversity", mg, "DL", list(alpha = 0.05, spending = "obf"), ris_mg)
  add("magnesium_dl_obf_futility", mg, "DL",
      list(alpha = 0.05, spending = "obf", futility = "nonbinding", beta = 0.2), ris_mg)
  # The first seven magnesium trials alone, before LIMIT-2 and ISIS-4: not yet.
  add("magnesium_first7_pocock", mg[1:7, ], "DL", list(alpha = 0.05, spending = "pocock"),
      ris_mg)
  # BCG vaccine (dat.bcg, log risk ratios), benefit = fewer cases; information size from the
  # pooled control risk and a 30% relative risk reduction.
  bcg <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
  bcg$n <- with(dat.bcg, tpos + tneg + cpos + cneg)
  pc_bcg <- with(dat.bcg, sum(cpos) / sum(cpos + cneg))
  add("bcg_dl_obf_binding", bcg, "DL",
      list(alpha = 0.05, spending = "obf", futility = "binding", beta = 0.1),
      ris_binary(pc_bcg, 0.3, 0.05, 0.9))
  out
}

# ---- output ----------------------------------------------------------------------------------

generate <- function(outdir) {
  dir <- file.path(outdir, "expected", "sequential")
  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  generator <- sprintf("R %s (generate_sequential.R), grid r = %d", getRversion(), reference_r)
  write_doc <- function(doc, file) {
    text <- toJSON(doc, auto_unbox = TRUE, digits = NA, pretty = TRUE, null = "null", na = "null")
    writeLines(text, file.path(dir, file))
  }
  write_doc(list(generator = generator, grid = reference_r,
                 cases = lapply(designs, design_case)), "boundaries.json")
  write_doc(list(generator = generator, cases = information_cases()), "information_size.json")
  write_doc(list(generator = sprintf("R %s (generate_sequential.R), grid r = %d", getRversion(),
                                     monitoring_r),
                 grid = monitoring_r, cases = monitoring_cases()), "monitoring.json")
}

# ---- check -----------------------------------------------------------------------------------

compare_json <- function(a, b, path, diffs) {
  if (is.list(a) && is.list(b)) {
    keys <- union(names(a), names(b))
    if (is.null(keys)) {
      if (length(a) != length(b)) return(c(diffs, sprintf("%s: lengths differ", path)))
      for (i in seq_along(a)) diffs <- compare_json(a[[i]], b[[i]], sprintf("%s[%d]", path, i), diffs)
      return(diffs)
    }
    for (key in keys) diffs <- compare_json(a[[key]], b[[key]], paste0(path, ".", key), diffs)
    return(diffs)
  }
  if (is.numeric(a) && is.numeric(b) && length(a) == 1 && length(b) == 1) {
    if (abs(a - b) > check_rel_tol * max(abs(a), abs(b)) + check_abs_tol) {
      diffs <- c(diffs, sprintf("%s: committed %.17g, regenerated %.17g", path, a, b))
    }
    return(diffs)
  }
  if (!identical(a, b)) diffs <- c(diffs, sprintf("%s: differs", path))
  diffs
}

check <- function(committed) {
  fresh <- tempfile("evident-sequential-")
  on.exit(unlink(fresh, recursive = TRUE))
  generate(fresh)
  diffs <- character()
  for (f in list.files(file.path(fresh, "expected", "sequential"))) {
    path <- file.path(committed, "expected", "sequential", f)
    if (!file.exists(path)) {
      diffs <- c(diffs, sprintf("expected/sequential/%s: not committed", f))
      next
    }
    a <- fromJSON(path, simplifyVector = FALSE)
    b <- fromJSON(file.path(fresh, "expected", "sequential", f), simplifyVector = FALSE)
    a$generator <- b$generator
    diffs <- compare_json(a, b, paste0("expected/sequential/", f), diffs)
  }
  if (length(diffs) > 0) {
    cat(diffs, sep = "\n")
    return(1L)
  }
  cat("sequential reference files match a fresh computation\n")
  0L
}

script_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  dirname(normalizePath(sub("^--file=", "", file_arg)))
}

main <- function(argv) {
  if (length(argv) != 1) {
    cat("usage: Rscript generate_sequential.R OUTDIR | --check\n", file = stderr())
    return(2L)
  }
  if (argv == "--check") return(check(script_dir()))
  generate(argv)
  0L
}

quit(status = main(commandArgs(trailingOnly = TRUE)))
