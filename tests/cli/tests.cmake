gwsync_test(cli_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cc LIBS gwsync_cli)
