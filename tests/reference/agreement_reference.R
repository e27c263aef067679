# Reference values for survey_app/core/agreement.py from R package `multilevel`.
# Run from the repository root:  Rscript tests/reference/agreement_reference.R
# Writes tests/reference/agreement_reference.json (inputs and R's results), which
# tests/core/test_agreement.py compares against to 1e-9. No JSON package is needed.
suppressPackageStartupMessages(library(multilevel))

num <- function(x) ifelse(is.na(x), "null", sprintf("%.17g", x))
str_json <- function(x) paste0('"', x, '"')
arr <- function(x) paste0("[", paste(x, collapse = ", "), "]")
obj <- function(keys, values) {
  paste0("{", paste(paste0(str_json(keys), ": ", values), collapse = ", "), "}")
}
by_group <- function(res, col) obj(as.character(res$grpid), num(res[[col]]))

dataset_json <- function(name, data, items, group, points) {
  ranvar <- (points^2 - 1) / 12
  x <- data[, items, drop = FALSE]
  rwg_items <- sapply(items, function(it) by_group(rwg(x[[it]], group, ranvar), "rwg"))
  ad_items <- sapply(items, function(it) by_group(ad.m(x[[it]], group, type = "mean"), "AD.M"))
  rows <- apply(as.matrix(x), 1, function(r) arr(num(r)))
  paste0(
    "{",
    '"name": ', str_json(name), ", ",
    '"points": ', points, ", ",
    '"items": ', arr(str_json(items)), ", ",
    '"group": ', arr(str_json(as.character(group))), ", ",
    '"data": ', arr(rows), ", ",
    '"rwg": ', obj(items, rwg_items), ", ",
    '"ad_item": ', obj(items, ad_items), ", ",
    '"rwg_j": ', by_group(rwg.j(x, group, ranvar), "rwg.j"), ", ",
    '"ad_m": ', by_group(ad.m(x, group, type = "mean"), "AD.M"),
    "}"
  )
}

data(lq2002)
# Six companies of the leadership climate data: 11 leadership items and 3 task
# significance items, all on 5-point scales.
lq <- lq2002[lq2002$COMPID %in% sort(unique(lq2002$COMPID))[1:6], ]
lead_items <- paste0("LEAD", sprintf("%02d", 1:11))
tsig_items <- c("TSIG01", "TSIG02", "TSIG03")

# Hand-made groups: agreeing, split (variance above the null, truncated to 0), all the
# same answer (r_wg = 1, AD = 0), a single respondent (NA) and a mixed group.
hand5 <- data.frame(
  g = c("agree", "agree", "agree", "agree", "agree",
        "split", "split", "split", "split", "split", "split",
        "same", "same", "same",
        "alone",
        "mixed", "mixed", "mixed", "mixed"),
  a = c(4, 4, 5, 4, 3,  1, 5, 1, 5, 1, 5,  3, 3, 3,  2,  2, 3, 4, 5),
  b = c(4, 5, 5, 4, 4,  5, 1, 5, 1, 2, 4,  3, 3, 3,  4,  1, 1, 2, 5),
  c = c(5, 4, 4, 4, 4,  1, 1, 5, 5, 1, 5,  3, 3, 3,  1,  3, 3, 3, 4)
)
# A 7-point scale (null variance 4) with one group above the null variance.
hand7 <- data.frame(
  g = c(rep("x", 6), rep("y", 5)),
  a = c(6, 7, 6, 5, 6, 7,  1, 7, 1, 7, 4),
  b = c(5, 6, 6, 6, 7, 7,  2, 6, 7, 1, 4)
)

out <- c(
  dataset_json("lq2002_lead", lq, lead_items, lq$COMPID, 5),
  dataset_json("lq2002_tsig", lq, tsig_items, lq$COMPID, 5),
  dataset_json("hand5", hand5, c("a", "b", "c"), hand5$g, 5),
  dataset_json("hand7", hand7, c("a", "b"), hand7$g, 7)
)
json <- paste0(
  '{"source": "R ', R.version$major, ".", R.version$minor,
  ", multilevel ", as.character(packageVersion("multilevel")), '", ',
  '"datasets": ', arr(out), "}\n"
)
writeLines(json, "tests/reference/agreement_reference.json", sep = "")
