add_test(NAME faults_gateway COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/fault_test.py)
set_tests_properties(faults_gateway PROPERTIES LABELS gateway)
add_test(NAME nginx_gateway COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/nginx_test.py)
set_tests_properties(nginx_gateway PROPERTIES LABELS gateway)
# A rate-limiting router (nginx limit_req): 2,000 objects, no failure.
add_test(NAME nginx_ratelimit_gateway COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/nginx_ratelimit_test.py)
set_tests_properties(nginx_ratelimit_gateway PROPERTIES LABELS gateway TIMEOUT 300 RUN_SERIAL TRUE)
