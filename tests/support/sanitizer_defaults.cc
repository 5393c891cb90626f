// Sanitizer options compiled into every executable of a GWSYNC_SANITIZE build,
// so that a process started with an environment of its own (the e2e tests
// spawn gwsync with one) still stops at its first report and still applies
// tools/ubsan.supp and tools/tsan.supp. ASAN_OPTIONS, UBSAN_OPTIONS and
// TSAN_OPTIONS, when set, override these. Each runtime reads only its own.

extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:suppressions=" GWSYNC_UBSAN_SUPPRESSIONS;
}

extern "C" const char* __asan_default_options() {
  return "detect_leaks=1:check_initialization_order=1:strict_init_order=1";
}

extern "C" const char* __tsan_default_options() {
  return "halt_on_error=1:second_deadlock_stack=1:suppressions=" GWSYNC_TSAN_SUPPRESSIONS;
}
