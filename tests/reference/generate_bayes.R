#!/usr/bin/env Rscript
# Reference values for evident's Bayesian random-effects model (`--method BAYES`), computed
# exactly by numerical integration, since metafor has no Bayesian fit and bayesmeta is not
# packaged for Debian.
#
#   Rscript tests/reference/generate_bayes.R OUTDIR   writes OUTDIR/data/bayes_*.csv and
#                                                     OUTDIR/expected/bayes_*.json
#   Rscript tests/reference/generate_bayes.R --check  regenerates into a temporary folder and
#                                                     compares with the committed files
#
# The model (Röver 2020, J Stat Softw 93(6)): yi ~ N(theta_i, vi), theta_i ~ N(mu, tau^2), a prior
# on tau and a flat or normal prior on mu. Given tau, mu is normal with mean m(tau) and variance
# V(tau); tau's marginal posterior is prior x likelihood with mu integrated out. Every summary is
# a one-dimensional integral over tau, computed here by R's adaptive quadrature (integrate, at
# rel.tol 1e-12) on t = tau / (tau + s) in (0, 1), and checked against a composite Simpson rule on
# 2^16 panels of the same t: the two must agree to 1e-9 or the script stops. Quantiles solve
# CDF(q) = p with uniroot at tol 1e-14 on the integrated CDF.

suppressPackageStartupMessages({
  library(metafor)
  library(jsonlite)
})

rel_tol <- 1e-12
check_rel_tol <- 1e-9
check_abs_tol <- 1e-12

format_number <- function(x) {
  vapply(x, function(v) {
    if (is.na(v)) return(NA_character_)
    for (digits in 15:16) {
      s <- sprintf("%.*g", digits, v)
      if (as.numeric(s) == v) return(s)
    }
    sprintf("%.17g", v)
  }, character(1), USE.NAMES = FALSE)
}

# ---- the model -------------------------------------------------------------------------------

tau_prior_density <- function(prior, v) {
  switch(prior$kind,
    halfnormal = function(tau) 2 * dnorm(tau, 0, prior$scale),
    halfcauchy = function(tau) 2 * dcauchy(tau, 0, prior$scale),
    uniform = function(tau) dunif(tau, prior$lower, prior$upper),
    # Bodnar et al. (2017): sqrt(sum (tau / (v + tau^2))^2), improper.
    jeffreys = function(tau) sqrt(rowSums((tau / outer(tau^2, v, "+"))^2)))
}

# For a vector of tau: the log likelihood of tau with mu integrated out, and mu's conditional
# mean and variance (columns loglik, m, V).
conditional <- function(tau, y, v, mu_prior) {
  w <- 1 / outer(tau^2, v, "+")  # one row per tau
  sw <- rowSums(w)
  swy <- as.vector(w %*% y)
  ybar <- swy / sw
  q <- rowSums(w * (matrix(y, length(tau), length(y), byrow = TRUE) - ybar)^2)
  slog <- -rowSums(log(w))
  k <- length(y)
  if (is.null(mu_prior)) {
    loglik <- -0.5 * ((k - 1) * log(2 * pi) + slog + log(sw) + q)
    cbind(loglik = loglik, m = ybar, V = 1 / sw)
  } else {
    s2 <- mu_prior$sd^2
    one <- 1 + s2 * sw
    loglik <- -0.5 * (k * log(2 * pi) + slog + log(one) + q + sw * (ybar - mu_prior$mean)^2 / one)
    precision <- sw + 1 / s2
    cbind(loglik = loglik, m = (swy + mu_prior$mean / s2) / precision, V = 1 / precision)
  }
}

posterior <- function(y, v, tau_prior, mu_prior) {
  s <- sqrt(length(v) / sum(1 / v))
  prior <- tau_prior_density(tau_prior, v)
  tau_of <- function(t) s * t / (1 - t)
  t_lo <- 0
  t_hi <- 1
  if (tau_prior$kind == "uniform") {
    t_lo <- tau_prior$lower / (tau_prior$lower + s)
    t_hi <- tau_prior$upper / (tau_prior$upper + s)
  }
  # The log density at its largest on a grid, so exp() neither overflows nor vanishes.
  grid <- seq(t_lo, t_hi, length.out = 4002)[-c(1, 4002)]
  ref <- max(log(prior(tau_of(grid))) + conditional(tau_of(grid), y, v, mu_prior)[, "loglik"])
  # f(t, g): the integrand of E[g(tau, m, V)] x normaliser, in t.
  integrand <- function(g) {
    function(t) {
      tau <- tau_of(t)
      cnd <- conditional(tau, y, v, mu_prior)
      exp(log(prior(tau)) + cnd[, "loglik"] - ref) * s / (1 - t)^2 * g(tau, cnd[, "m"], cnd[, "V"])
    }
  }
  adaptive <- function(g, lo = t_lo, hi = t_hi) {
    integrate(integrand(g), lo, hi, rel.tol = rel_tol, abs.tol = 0, subdivisions = 10000L)$value
  }
  simpson <- function(g) {
    n <- 2^16
    t <- seq(t_lo, t_hi, length.out = n + 1)
    t[1] <- t_lo + 1e-300
    t[n + 1] <- t_hi - (t_hi - t_lo) * 1e-15
    f <- integrand(g)(t)
    h <- (t_hi - t_lo) / n
    h / 3 * (f[1] + f[n + 1] + 4 * sum(f[seq(2, n, 2)]) + 2 * sum(f[seq(3, n - 1, 2)]))
  }
  list(tau_of = tau_of, s = s, t_lo = t_lo, t_hi = t_hi, ref = ref, integrand = integrand,
       adaptive = adaptive, simpson = simpson)
}

# The posterior density of tau falls as tau^-a for large tau: the likelihood as tau^-(k - 1) (flat
# prior on mu) or tau^-k, times the prior's tail (half-Cauchy tau^-2, Jeffreys tau^-1, the others
# faster than any power). E tau^j exists when j < a - 1.
moment_exists <- function(j, k, tau_prior, mu_prior) {
  a <- (if (is.null(mu_prior)) k - 1 else k) +
    switch(tau_prior$kind, halfcauchy = 2, jeffreys = 1, Inf)
  j < a - 1
}

agree <- function(a, b, what) {
  if (abs(a - b) > check_rel_tol * max(abs(a), abs(b)) + 1e-300) {
    stop(sprintf("%s: integrate %.17g and Simpson %.17g disagree", what, a, b))
  }
}

# A summary {mean, sd, median, ci_lb, ci_ub} of the tau-mixture of N(mean(tau, m, V),
# var(tau, m, V)).
mixture_summary <- function(p, z, mean_f, var_f, level, finite_variance = TRUE) {
  m1 <- p$adaptive(function(tau, m, V) mean_f(tau, m, V)) / z
  agree(m1 * z, p$simpson(function(tau, m, V) mean_f(tau, m, V)), "mixture mean")
  sd <- NA
  if (finite_variance) {
    m2 <- p$adaptive(function(tau, m, V) var_f(tau, m, V) + mean_f(tau, m, V)^2) / z
    sd <- sqrt(m2 - m1^2)
  }
  # A first bracket for the quantiles, widened below until it holds them.
  spread <- sqrt(p$adaptive(function(tau, m, V) pmin(V, 1)) / z)
  cdf <- function(x) {
    p$adaptive(function(tau, m, V) pnorm(x, mean_f(tau, m, V), sqrt(var_f(tau, m, V)))) / z
  }
  quantile <- function(prob) {
    width <- if (is.finite(spread)) spread else 1
    lo <- m1 - width
    hi <- m1 + width
    while (cdf(lo) > prob) lo <- lo - 4 * (hi - lo)
    while (cdf(hi) < prob) hi <- hi + 4 * (hi - lo)
    uniroot(function(x) cdf(x) - prob, c(lo, hi), tol = 1e-15 * max(abs(lo), abs(hi)),
            maxiter = 1000)$root
  }
  alpha <- 1 - level / 100
  list(mean = m1, sd = sd, median = quantile(0.5), ci_lb = quantile(alpha / 2),
       ci_ub = quantile(1 - alpha / 2))
}

bayes <- function(y, v, labels, tau_prior, mu_prior, level = 95) {
  p <- posterior(y, v, tau_prior, mu_prior)
  one <- function(tau, m, V) rep(1, length(tau))
  z <- p$adaptive(one)
  agree(z, p$simpson(one), "normalising constant")
  k <- length(y)
  tau_mean <- NA
  tau_sd <- NA
  if (moment_exists(1, k, tau_prior, mu_prior)) tau_mean <- p$adaptive(function(tau, m, V) tau) / z
  if (moment_exists(2, k, tau_prior, mu_prior)) {
    tau_sd <- sqrt(p$adaptive(function(tau, m, V) tau^2) / z - tau_mean^2)
  }
  tau_quantile <- function(prob) {
    t <- uniroot(function(t) p$adaptive(one, p$t_lo, t) / z - prob, c(p$t_lo, p$t_hi),
                 tol = 1e-15, maxiter = 1000)$root
    p$tau_of(t)
  }
  alpha <- 1 - level / 100
  tau <- list(mean = tau_mean, sd = tau_sd, median = tau_quantile(0.5),
              ci_lb = tau_quantile(alpha / 2), ci_ub = tau_quantile(1 - alpha / 2))
  # V(tau) grows as tau^2 / k: mu's variance exists when tau's does.
  mu <- mixture_summary(p, z, function(tau, m, V) m, function(tau, m, V) V, level,
                        moment_exists(2, k, tau_prior, mu_prior))
  predictive <- mixture_summary(p, z, function(tau, m, V) m, function(tau, m, V) V + tau^2, level,
                                moment_exists(2, k, tau_prior, mu_prior))
  theta <- lapply(seq_along(y), function(i) {
    b <- function(tau) tau^2 / (v[i] + tau^2)
    s <- mixture_summary(p, z, function(tau, m, V) b(tau) * y[i] + (1 - b(tau)) * m,
                         function(tau, m, V) b(tau) * v[i] + (1 - b(tau))^2 * V, level)
    c(list(study = labels[i]), s)
  })
  proper <- tau_prior$kind != "jeffreys" && !is.null(mu_prior)
  list(mu = mu, tau = tau, predictive = predictive, theta = theta,
       marginal_likelihood = if (proper) z * exp(p$ref) else NA)
}

# ---- cases -----------------------------------------------------------------------------------

priors <- list(
  list(text = "halfnormal:0.5", kind = "halfnormal", scale = 0.5),
  list(text = "halfnormal:1", kind = "halfnormal", scale = 1),
  list(text = "halfcauchy:0.5", kind = "halfcauchy", scale = 0.5),
  list(text = "uniform:0,2", kind = "uniform", lower = 0, upper = 2),
  list(text = "jeffreys", kind = "jeffreys"))
mu_priors <- list(list(text = "flat", prior = NULL),
                  list(text = "normal:0,4", prior = list(mean = 0, sd = 4)))

# Effect sizes as given (yi, vi), written with every digit so evident reads the same doubles.
data_sets <- function() {
  bcg <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
  bcg_labels <- paste(dat.bcg$author, dat.bcg$year)
  gibson <- dat.gibson2002[!is.na(dat.gibson2002$m1i), ]
  smd <- escalc("SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                data = gibson)
  list(
    # The first two BCG trials: the few-studies case of the issue that motivated this model.
    bcg2 = data.frame(study = bcg_labels[1:2], yi = bcg$yi[1:2], vi = bcg$vi[1:2]),
    bcg = data.frame(study = bcg_labels, yi = as.vector(bcg$yi), vi = as.vector(bcg$vi)),
    gibson2002 = data.frame(study = paste(gibson$author, gibson$year), yi = as.vector(smd$yi),
                            vi = as.vector(smd$vi)),
    one = data.frame(study = "only", yi = 0.3, vi = 0.04))
}

write_data <- function(d, path) {
  out <- data.frame(study = d$study, yi = format_number(d$yi), vi = format_number(d$vi))
  write.csv(out, path, row.names = FALSE, quote = c(1))
}

generate <- function(outdir) {
  dir.create(file.path(outdir, "data"), recursive = TRUE, showWarnings = FALSE)
  dir.create(file.path(outdir, "expected"), recursive = TRUE, showWarnings = FALSE)
  generator <- sprintf("numerical integration in R %s (generate_bayes.R)", getRversion())
  sets <- data_sets()
  for (name in names(sets)) {
    d <- sets[[name]]
    write_data(d, file.path(outdir, "data", sprintf("bayes_%s.csv", name)))
    d <- read.csv(file.path(outdir, "data", sprintf("bayes_%s.csv", name)))
    cases <- list()
    for (tp in priors) {
      for (mp in mu_priors) {
        if (tp$kind == "jeffreys" && is.null(mp$prior) && nrow(d) == 1) next  # improper
        r <- bayes(d$yi, d$vi, as.character(d$study), tp, mp$prior)
        cases[[length(cases) + 1]] <- list(
          name = sprintf("%s_%s", gsub("[^a-z0-9]", "_", tp$text), gsub("[^a-z0-9]", "_", mp$text)),
          args = c("--method", "BAYES", "--prior-tau", tp$text, "--prior-mu", mp$text),
          expected = list(method = "BAYES", k = nrow(d), posterior = r))
      }
    }
    doc <- list(generator = generator, input = sprintf("data/bayes_%s.csv", name), cases = cases)
    # 15 significant digits (jsonlite's most), far beyond the 1e-6 evident is compared at.
    writeLines(toJSON(doc, auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                      pretty = TRUE),
               file.path(outdir, "expected", sprintf("bayes_%s.json", name)))
  }
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
  if (is.numeric(a) && is.numeric(b)) {
    if (abs(a - b) > check_rel_tol * max(abs(a), abs(b)) + check_abs_tol) {
      diffs <- c(diffs, sprintf("%s: committed %.17g, regenerated %.17g", path, a, b))
    }
    return(diffs)
  }
  if (!identical(a, b)) diffs <- c(diffs, sprintf("%s: differs", path))
  diffs
}

check <- function(committed) {
  fresh <- tempfile("evident-bayes-")
  on.exit(unlink(fresh, recursive = TRUE))
  generate(fresh)
  diffs <- character()
  for (f in list.files(file.path(fresh, "data"))) {
    if (!identical(readLines(file.path(committed, "data", f), warn = FALSE),
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
    a$generator <- b$generator
    diffs <- compare_json(a, b, paste0("expected/", f), diffs)
  }
  if (length(diffs) > 0) {
    cat(diffs, sep = "\n")
    return(1L)
  }
  cat("Bayesian reference files match a fresh integration\n")
  0L
}

script_dir <- function() {
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  dirname(normalizePath(sub("^--file=", "", file_arg)))
}

main <- function(argv) {
  if (length(argv) != 1) {
    cat("usage: Rscript generate_bayes.R OUTDIR | --check\n", file = stderr())
    return(2L)
  }
  if (argv == "--check") return(check(script_dir()))
  generate(argv)
  0L
}

quit(status = main(commandArgs(trailingOnly = TRUE)))
