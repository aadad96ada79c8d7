# Two modules that link each other: the checker must fail on the cycle.
set(LPDA_MODULES a b)
set(LPDA_MODULE_FOLDER_a "a")
set(LPDA_MODULE_DEPS_a "b")
set(LPDA_MODULE_FOLDER_b "b")
set(LPDA_MODULE_DEPS_b "a")
