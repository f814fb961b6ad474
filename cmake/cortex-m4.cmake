# Cortex-M4 (i.MX RT1160 remote core; QEMU mps2-an386): single-precision FPU.
set(AMP_TARGET_CPU cortex-m4)
set(AMP_TARGET_QEMU_MACHINE mps2-an386)
set(AMP_TARGET_ARCH_FLAGS "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
