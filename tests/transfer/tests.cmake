gwsync_test(transfer_gateway_test LABEL gateway
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/object_transfer_gateway_test.cc
            LIBS gwsync_test_support)
