gwsync_test(index_unit_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/index_test.cc LIBS gwsync_index rocksdb)
