# Cortex-M7 (i.MX RT1160 primary core; QEMU mps2-an500): double-precision FPU.
set(AMP_TARGET_CPU cortex-m7)
set(AMP_TARGET_QEMU_MACHINE mps2-an500)
set(AMP_TARGET_ARCH_FLAGS "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
