# Shared by the three application CMakeLists.txt of the sample (cm7/, cm4/ and
# the top directory, which is the CM7 image of a sysbuild build).
#
# Include it before find_package(Zephyr): it makes this repository a Zephyr
# module of the build (its zephyr/module.yml builds lib/ when CONFIG_AMP=y),
# also when the repository is not a project of the west workspace. A module
# found twice (west and here) is loaded once: modules are keyed by name.

get_filename_component(AMP_SAMPLE_DIR ${CMAKE_CURRENT_LIST_DIR}/.. ABSOLUTE)
get_filename_component(AMP_REPO_ROOT ${AMP_SAMPLE_DIR}/../.. ABSOLUTE)
list(APPEND EXTRA_ZEPHYR_MODULES ${AMP_REPO_ROOT})

# Adds the sources of one core to the `app` target. Call it after project().
#   core: cm7 or cm4 (selects <core>/src/main.cpp and the log module <core>_main)
function(amp_sample_app core)
  target_sources(app PRIVATE
    ${AMP_SAMPLE_DIR}/${core}/src/main.cpp
    ${AMP_SAMPLE_DIR}/common/src/zephyr_endpoint.cpp
    ${AMP_SAMPLE_DIR}/common/src/zephyr_glue.cpp
    ${AMP_SAMPLE_DIR}/common/src/amp_shell_glue.cpp
  )
  if(CONFIG_SHELL)
    target_sources(app PRIVATE ${AMP_SAMPLE_DIR}/common/src/amp_shell.c)
  endif()
  target_include_directories(app PRIVATE ${AMP_SAMPLE_DIR}/common/include)
  # The log module the library's lines appear under (registered in main.cpp).
  target_compile_definitions(app PRIVATE AMP_APP_LOG_MODULE=${core}_main)
  if(NOT CONFIG_AMP)
    message(FATAL_ERROR "open_amp_cpp needs CONFIG_AMP=y (the amp module: zephyr/module.yml)")
  endif()
endfunction()
