# examples/backup.cc, a program built on the public headers only, against
# the test gateway: what it writes is checked with boto3.
add_test(NAME api_example_e2e COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/example_test.py)
set_tests_properties(api_example_e2e PROPERTIES LABELS "gateway;e2e"
                     ENVIRONMENT "GWSYNC_EXAMPLE_BACKUP=$<TARGET_FILE:gwsync_example_backup>")
gwsync_test(api_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/resolve_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/owner_shutdown_test.cc
            LIBS gwsync_api gwsync_session gwsync_config gwsync_loopback_server)
# The public surface as a program sees it: linked to gwsync_api alone, so
# only engine/include/gwsync/ is on the include path.
gwsync_test(api_gateway_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/gateway_test.cc
            LIBS gwsync_api)
# gwsync/feed.h's checks and gwsync/report.h's merge, through gwsync_api alone.
gwsync_test(api_feed_report_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/feed_report_test.cc
            LIBS gwsync_api)
