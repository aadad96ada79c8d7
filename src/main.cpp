// lpda-sync: keeps a SQLite database in step with LivePerson's Data Access API.
#include "lpda/cli/cli.hpp"

int main(int argc, char** argv) { return lpda::cli::run(argc, argv); }
