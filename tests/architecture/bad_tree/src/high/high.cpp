#include "lpda/low/low.hpp"
