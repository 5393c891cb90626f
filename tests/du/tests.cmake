gwsync_test(du_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/du_test.cc LIBS gwsync_du)
