#include "zephyr_glue.h"

#include <zephyr/logging/log.h>
#include <zephyr/sys/printk.h>
#include <zephyr/sys/time_units.h>

#ifndef AMP_APP_LOG_MODULE
#error "AMP_APP_LOG_MODULE (cm7_main or cm4_main) comes from the sample's CMake"
#endif

#if defined(CONFIG_AMP_LOG_LEVEL)
#define AMP_GLUE_LOG_LEVEL CONFIG_AMP_LOG_LEVEL
#else
#define AMP_GLUE_LOG_LEVEL LOG_LEVEL_INF
#endif

// The library's lines appear under the image's own module (registered by
// main.cpp), at the level CONFIG_AMP_LOG_LEVEL allows.
LOG_MODULE_DECLARE(AMP_APP_LOG_MODULE, AMP_GLUE_LOG_LEVEL);

namespace amp_zephyr {

void ZephyrLogSink::write(amp::LogLevel level, const char* line)
{
    switch (level) {
    case amp::LogLevel::error: LOG_ERR("%s", line); break;
    case amp::LogLevel::warning: LOG_WRN("%s", line); break;
    case amp::LogLevel::info: LOG_INF("%s", line); break;
    case amp::LogLevel::debug: LOG_DBG("%s", line); break;
    case amp::LogLevel::plain:
        // The transcript lines ("CM7 sending message: ..."), as printk prints
        // them; they count as info for CONFIG_AMP_LOG_LEVEL.
        if (AMP_GLUE_LOG_LEVEL >= LOG_LEVEL_INF) printk("%s\n", line);
        break;
    }
}

uint32_t UptimeClock::now_us() const
{
    // Truncated to 32 bits: the library compares times wrap-safely.
    if constexpr (IS_ENABLED(CONFIG_TIMER_HAS_64BIT_CYCLE_COUNTER)) {
        return static_cast<uint32_t>(k_cyc_to_us_floor64(k_cycle_get_64()));
    } else {
        return static_cast<uint32_t>(k_ticks_to_us_floor64(k_uptime_ticks()));
    }
}

}  // namespace amp_zephyr
