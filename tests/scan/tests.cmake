gwsync_test(scan_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/local_walker_test.cc
            ${CMAKE_CURRENT_LIST_DIR}/walker_swap_test.cc
            LIBS gwsync_scan gwsync_fileio)
