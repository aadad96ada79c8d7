#include "lpda/low/low.hpp"
#include "lpda/high/high.hpp"
