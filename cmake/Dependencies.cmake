# Every dependency comes from a Debian bookworm package (scripts/install-deps); nothing is downloaded.
find_package(Threads REQUIRED)
find_package(Boost 1.81.0 EXACT CONFIG REQUIRED COMPONENTS url)
find_package(OpenSSL REQUIRED)
find_package(RapidJSON REQUIRED)
find_package(ZLIB REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(SQLiteCpp REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(date REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
if(LPDA_BUILD_TESTS)
  find_package(doctest REQUIRED)
endif()

# RapidJSON's Debian config exports only include dirs; wrap them in a target.
if(NOT TARGET lpda_rapidjson)
  add_library(lpda_rapidjson INTERFACE)
  target_include_directories(lpda_rapidjson SYSTEM INTERFACE ${RAPIDJSON_INCLUDE_DIRS})
  target_compile_definitions(lpda_rapidjson INTERFACE RAPIDJSON_HAS_STDSTRING=1)
endif()

# lpda_asio: Asio, Beast and Asio-SSL compiled once (separate compilation), so the modules that
# use the network include only declarations. Modules that need no network never link this.
add_library(lpda_asio STATIC ${PROJECT_SOURCE_DIR}/src/asio/asio_impl.cpp)
target_compile_definitions(lpda_asio PUBLIC
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION BOOST_ASIO_NO_DEPRECATED)
target_link_libraries(lpda_asio PUBLIC Boost::headers OpenSSL::SSL OpenSSL::Crypto Threads::Threads
                               PRIVATE lpda_sanitizers)
