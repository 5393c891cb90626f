gwsync_test(scan_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/local_walker_test.cc LIBS gwsync_scan)
