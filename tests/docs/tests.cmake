# The documentation's commands run against the real gateway (the blocks
# marked `<!-- test: NAME -->` in README.md and docs/), and its commands,
# flags and links checked against the binary. Makes and removes buckets of
# the documented names (registry, db-wal ...), so nothing runs beside it.
add_test(NAME docs_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/docs_test.py)
set_tests_properties(docs_e2e PROPERTIES LABELS "gateway;e2e" TIMEOUT 600 RUN_SERIAL TRUE)
