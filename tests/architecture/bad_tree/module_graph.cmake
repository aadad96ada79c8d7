# A two-module tree for the checker's own test: "high" links "low", and low.cpp includes a
# header of "high" — the checker must fail on it.
set(LPDA_MODULES low high)
set(LPDA_MODULE_FOLDER_low "low")
set(LPDA_MODULE_DEPS_low "")
set(LPDA_MODULE_FOLDER_high "high")
set(LPDA_MODULE_DEPS_high "low")
