gwsync_test(verify_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/verify_test.cc
            LIBS gwsync_verify gwsync_test_support)
