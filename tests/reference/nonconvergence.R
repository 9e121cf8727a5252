#!/usr/bin/env Rscript
# Data sets on which metafor's default REML fit (Fisher scoring, threshold 1e-5, maxiter 100)
# fails to converge, and metafor's answer when it is helped (step halving, 10,000 iterations).
# evident must fit every one of them without help (tests/unit/nonconvergence_test.cpp).
#
#   Rscript tests/reference/nonconvergence.R OUTDIR    writes OUTDIR/data/metafor_nonconvergence.csv
#                                                       and OUTDIR/expected/metafor_nonconvergence.csv
#   Rscript tests/reference/nonconvergence.R --check   regenerates and compares with the committed files
#
# The setting is the one in which the failure rate was reported: k = 10, yi ~ N(0.3, 0.3^2),
# vi ~ U(0.01, 0.1); 10,000 data sets from a fixed seed (about 3 in 1,000 fail).

suppressPackageStartupMessages(library(metafor))

n_sets <- 10000
k <- 10
fmt <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))

generate <- function(outdir) {
  set.seed(20261123)
  data_rows <- list()
  expected_rows <- list()
  failures <- 0
  for (i in seq_len(n_sets)) {
    yi <- rnorm(k, 0.3, 0.3)
    vi <- runif(k, 0.01, 0.1)
    default_fit <- try(rma(yi, vi, method = "REML"), silent = TRUE)
    if (!inherits(default_fit, "try-error")) next
    failures <- failures + 1
    helped <- try(rma(yi, vi, method = "REML",
                      control = list(stepadj = 0.5, maxiter = 10000, threshold = 1e-12)),
                  silent = TRUE)
    data_rows[[failures]] <- data.frame(analysis = i, study = seq_len(k), yi = fmt(yi),
                                        vi = fmt(vi))
    expected_rows[[failures]] <- if (inherits(helped, "try-error")) {
      data.frame(analysis = i, tau2 = "", estimate = "", se = "")
    } else {
      data.frame(analysis = i, tau2 = fmt(helped$tau2), estimate = fmt(c(helped$beta)),
                 se = fmt(helped$se))
    }
  }
  dir.create(file.path(outdir, "data"), showWarnings = FALSE, recursive = TRUE)
  dir.create(file.path(outdir, "expected"), showWarnings = FALSE, recursive = TRUE)
  write.csv(do.call(rbind, data_rows), file.path(outdir, "data", "metafor_nonconvergence.csv"),
            row.names = FALSE, quote = FALSE)
  write.csv(do.call(rbind, expected_rows),
            file.path(outdir, "expected", "metafor_nonconvergence.csv"), row.names = FALSE,
            quote = FALSE)
  cat(sprintf("metafor's default REML failed on %d of %d data sets\n", failures, n_sets))
}

args <- commandArgs(trailingOnly = TRUE)
script_dir <- dirname(normalizePath(sub("^--file=", "",
                                        grep("^--file=", commandArgs(), value = TRUE))))
if (length(args) == 1 && args[1] == "--check") {
  tmp <- tempfile("nonconvergence")
  generate(tmp)
  drift <- FALSE
  for (f in c("data/metafor_nonconvergence.csv", "expected/metafor_nonconvergence.csv")) {
    new <- read.csv(file.path(tmp, f))
    old <- read.csv(file.path(script_dir, f))
    same <- identical(dim(new), dim(old)) && identical(names(new), names(old)) &&
      isTRUE(all.equal(new, old, tolerance = 1e-9))
    if (!same) {
      cat("drift in", f, "\n")
      drift <- TRUE
    }
  }
  if (drift) quit(status = 1)
  cat("nonconvergence: committed files match metafor\n")
} else if (length(args) == 1) {
  generate(args[1])
} else {
  stop("usage: nonconvergence.R OUTDIR | --check")
}
