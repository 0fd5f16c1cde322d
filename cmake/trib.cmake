# Helpers shared by every module: one library per module, tests beside their units.

# trib_add_library(NAME SOURCES... [DEPS targets...])
function(trib_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# trib_unit_test_executable(TARGET)
# Records an executable that a `unit`-labelled test runs, so that the unit_tests target builds
# it. trib_add_test does this itself; call it for a unit test added with plain add_test().
function(trib_unit_test_executable target)
  set_property(GLOBAL APPEND PROPERTY TRIB_UNIT_TEST_EXECUTABLES ${target})
endfunction()

# trib_add_test(NAME SOURCES... [DEPS targets...] [LABELS labels...] [DEFINITIONS defs...])
# Builds one GoogleTest binary and registers it with CTest under the given labels
# (default: unit), with DEFINITIONS as private compile definitions. Nothing when BUILD_TESTING
# is off (a device build).
function(trib_add_test name)
  if(NOT BUILD_TESTING)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS;DEFINITIONS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  if(ARG_DEFINITIONS)
    target_compile_definitions(${name} PRIVATE ${ARG_DEFINITIONS})
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 300)
  if("unit" IN_LIST ARG_LABELS)
    trib_unit_test_executable(${name})
  endif()
endfunction()

# trib_add_unit_tests_target()
# Defines `unit_tests`: every executable recorded above and what it links, and nothing else
# (no binaries, benchmarks or integration-only libraries). `ctest -L unit` needs exactly this
# built; tests/run.sh builds only it for `-L unit`, which keeps the sanitizer phase of CI from
# compiling the whole tree under ASan. Call once, after every add_subdirectory().
function(trib_add_unit_tests_target)
  get_property(executables GLOBAL PROPERTY TRIB_UNIT_TEST_EXECUTABLES)
  add_custom_target(unit_tests)
  if(executables)
    add_dependencies(unit_tests ${executables})
  endif()
endfunction()
