# Sysbuild: the CM7 image is this directory (configured from cm7/), and this
# file adds the CM4 image from cm4/. The CM7 image starts the CM4: with
# CONFIG_SECOND_CORE_MCUX the CM7's SoC code copies the CM4 image from flash
# to OCRAM, sets the CM4 boot address and releases it from reset; the segment
# addresses come from the zephyr_image_info.h the CM4 build generates.

if("${SB_CONFIG_AMP_REMOTE_BOARD}" STREQUAL "")
  message(FATAL_ERROR
    "open_amp_cpp: no CM4 image for board ${BOARD}; this sample is for "
    "mimxrt1160_evk/mimxrt1166/cm7 (set SB_CONFIG_AMP_REMOTE_BOARD for another board)")
endif()

set(AMP_REMOTE_IMAGE cm4)

ExternalZephyrProject_Add(
  APPLICATION ${AMP_REMOTE_IMAGE}
  SOURCE_DIR  ${APP_DIR}/cm4
  BOARD       ${SB_CONFIG_AMP_REMOTE_BOARD}
)

# The CM4 is linked to run from OCRAM and stored in flash for the CM7 to copy;
# its build writes the image info header the CM7 build includes.
set_config_bool(${AMP_REMOTE_IMAGE} CONFIG_SECOND_CORE_MCUX 1)
set_config_bool(${AMP_REMOTE_IMAGE} CONFIG_BUILD_OUTPUT_HEX 1)
set_config_bool(${DEFAULT_IMAGE} CONFIG_SECOND_CORE_MCUX 1)
set_config_string(${DEFAULT_IMAGE} CONFIG_SECOND_CORE_MCUX_REMOTE_DIR
  ${CMAKE_BINARY_DIR}/${AMP_REMOTE_IMAGE}/zephyr/include/public)

if(SB_CONFIG_AMP_SAMPLE_SHELL)
  set_config_bool(${DEFAULT_IMAGE} CONFIG_SHELL 1)
  set_config_bool(${AMP_REMOTE_IMAGE} CONFIG_SHELL 1)
endif()

# Configure and build the CM4 first (the CM7 build needs its header), and
# flash it first: the CM7 image, flashed last, boots both.
add_dependencies(${DEFAULT_IMAGE} ${AMP_REMOTE_IMAGE})
sysbuild_add_dependencies(CONFIGURE ${DEFAULT_IMAGE} ${AMP_REMOTE_IMAGE})
sysbuild_add_dependencies(FLASH ${DEFAULT_IMAGE} ${AMP_REMOTE_IMAGE})
