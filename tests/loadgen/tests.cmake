gwsync_test(loadgen_unit_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/histogram_test.cc ${CMAKE_CURRENT_LIST_DIR}/workload_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/report_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/runner_listing_test.cc
            LIBS gwsync_loadgen gwsync_fake_s3)
# Runs gwsync bench against the real gateways and checks its counts against
# each radosgw's own counters; alone, so no other test's requests mix in.
add_test(NAME bench_gateway COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/bench_gateway_test.py)
set_tests_properties(bench_gateway PROPERTIES LABELS gateway RUN_SERIAL TRUE)
