# Cortex-M33 (the two cores of QEMU mps2-an521, the dual-core board): no FPU
# and no DSP extension in QEMU's model of this board, so soft float.
set(AMP_TARGET_CPU cortex-m33)
set(AMP_TARGET_QEMU_MACHINE mps2-an521)
set(AMP_TARGET_ARCH_FLAGS "-mcpu=cortex-m33+nodsp -mthumb -mfloat-abi=soft")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi.cmake)
