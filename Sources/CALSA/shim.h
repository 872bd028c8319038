#include <alsa/asoundlib.h>

// alsa-lib prints its own errors to stderr; the clients report them in their own words instead.
static void avc_alsa_silent_handler(const char *file, int line, const char *function, int err, const char *fmt, ...) {}
static inline void avc_alsa_quiet(void) { snd_lib_error_set_handler(avc_alsa_silent_handler); }
