add_library(gwsync_test_support STATIC ${CMAKE_CURRENT_LIST_DIR}/gateway.cc)
target_include_directories(gwsync_test_support PUBLIC ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(gwsync_test_support PUBLIC gwsync_transfer GTest::gtest)
# The scripted network on a virtual clock, for unit tests of the gateway code.
add_library(gwsync_fake_transport STATIC ${CMAKE_CURRENT_LIST_DIR}/fake_transport.cc)
target_include_directories(gwsync_fake_transport PUBLIC ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(gwsync_fake_transport PUBLIC gwsync_http gwsync_hash)
# An S3 gateway in memory on a thread of its own, for unit tests of the sync.
add_library(gwsync_fake_s3 STATIC ${CMAKE_CURRENT_LIST_DIR}/fake_s3.cc
            ${CMAKE_CURRENT_LIST_DIR}/fake_s3_buckets.cc ${CMAKE_CURRENT_LIST_DIR}/fake_s3_objects.cc)
target_include_directories(gwsync_fake_s3 PUBLIC ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(gwsync_fake_s3 PUBLIC gwsync_s3 PRIVATE pugixml::pugixml)
gwsync_test(fake_s3_test LABEL unit SOURCES ${CMAKE_CURRENT_LIST_DIR}/fake_s3_test.cc
            LIBS gwsync_fake_s3 gwsync_transfer)
# A misbehaving HTTP server on loopback (silent, slow, dripping), for tests
# of the real transport.
add_library(gwsync_loopback_server STATIC ${CMAKE_CURRENT_LIST_DIR}/loopback_server.cc)
target_include_directories(gwsync_loopback_server PUBLIC ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(gwsync_loopback_server PUBLIC Threads::Threads)
