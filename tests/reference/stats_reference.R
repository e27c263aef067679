# Reference values for survey_app/core/stats.py from base R (qt, t.test).
# Run from the repository root:  Rscript tests/reference/stats_reference.R
# Writes tests/reference/stats_reference.json, compared to 1e-9 in tests/core/test_stats.py.
num <- function(x) ifelse(is.na(x), "null", sprintf("%.17g", x))
arr <- function(x) paste0("[", paste(x, collapse = ", "), "]")

qt_cases <- expand.grid(
  p = c(0.6, 0.9, 0.975, 0.995, 0.9995),
  df = c(0.5, 1, 2, 2.5, 3, 4.7, 9, 10, 29, 30.3, 100, 1000, 99999, 1e5, 1e7, 1e9)
)
qt_json <- apply(qt_cases, 1, function(r) {
  paste0('{"p": ', num(r[["p"]]), ', "df": ', num(r[["df"]]),
         ', "q": ', num(qt(r[["p"]], r[["df"]])), "}")
})

samples <- list(
  list(a = c(3, 4, 4, 5, 2), b = c(4, 5, 5, 5, 4, 3, 5)),
  list(a = c(2.5, 3, 3.5, 2, 4, 3.25), b = c(2, 2.25, 4.5, 1, 5)),
  list(a = c(1, 5, 1, 5, 1, 5, 3, 3), b = c(3, 3, 4)),
  list(a = c(3.6666666666666665, 4, 4.333333333333333, 2), b = c(4, 4, 4.5, 5, 4.5))
)
welch_json <- sapply(samples, function(s) {
  w <- t.test(s$b, s$a, var.equal = FALSE, conf.level = 0.95)
  ca <- t.test(s$a, conf.level = 0.95)$conf.int
  cb <- t.test(s$b, conf.level = 0.95)$conf.int
  paste0('{"a": ', arr(num(s$a)), ', "b": ', arr(num(s$b)),
         ', "diff": ', num(mean(s$b) - mean(s$a)),
         ', "df": ', num(unname(w$parameter)),
         ', "ci": ', arr(num(w$conf.int)),
         ', "ci_a": ', arr(num(ca)), ', "ci_b": ', arr(num(cb)), "}")
})

json <- paste0('{"source": "R ', R.version$major, ".", R.version$minor, '", ',
               '"qt": ', arr(qt_json), ', "welch": ', arr(welch_json), "}\n")
writeLines(json, "tests/reference/stats_reference.json", sep = "")
