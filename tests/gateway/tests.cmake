# These tests kill and stop gateway "b": nothing else that uses it may run
# beside them (ctest -j), and they count its requests.
gwsync_test(pool_gateway_test LABEL gateway SOURCES ${CMAKE_CURRENT_LIST_DIR}/pool_gateway_test.cc
            LIBS gwsync_test_support gwsync_sync nlohmann_json::nlohmann_json
            PROPERTIES RESOURCE_LOCK gateway_b)
target_compile_definitions(pool_gateway_test PRIVATE GWSYNC_TOOLS_DIR="${PROJECT_SOURCE_DIR}/tools")
# It measures a rate against --bwlimit (95-105%): alone, not beside other tests.
add_test(NAME ratelimit_gateway COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/ratelimit_test.py)
set_tests_properties(ratelimit_gateway PROPERTIES LABELS gateway RESOURCE_LOCK gateway_b RUN_SERIAL TRUE)
gwsync_test(bwlimit_fairness_test LABEL gateway
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/bwlimit_fairness_test.cc LIBS gwsync_test_support)
# The attempt loop on a scripted network and a virtual clock: no gateway.
gwsync_test(gateway_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/executor_test.cc
            LIBS gwsync_s3 gwsync_fake_transport)
# The attempt loop over the real transport and loopback servers: shutdown
# with requests waiting, and a dripping gateway given up on and retried.
gwsync_test(gateway_shutdown_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/shutdown_test.cc
            LIBS gwsync_gateway gwsync_loopback_server)
