# Small helpers for repeated chores in the CMake files.

# loctex_add_test(NAME [LIBS lib...] [LABELS label...])
# Builds tests/NAME.cpp into one GoogleTest executable and registers each of
# its tests with CTest, so ctest's summary counts them one by one.
function(loctex_add_test name)
  cmake_parse_arguments(ARG "" "" "LIBS;LABELS" ${ARGN})
  add_executable(${name} ${name}.cpp)
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    LOCTEX_TEST_BINARY_DIR="${CMAKE_CURRENT_BINARY_DIR}"
    LOCTEX_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${ARG_LABELS}"
    DISCOVERY_TIMEOUT 60)
endfunction()
