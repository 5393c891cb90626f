gwsync_test(cli_unit_test LABEL unit
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/metrics_test.cc
                    ${CMAKE_CURRENT_LIST_DIR}/progress_test.cc ${CMAKE_CURRENT_LIST_DIR}/suggest_test.cc
            LIBS gwsync_cli)
# The generated zsh completion, checked by zsh (zsh -n, and compinit on a
# pseudo-terminal against every command and option of --help).
add_test(NAME zsh_completion_test
         COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/zsh_completion_test.py $<TARGET_FILE:gwsync>)
set_tests_properties(zsh_completion_test PROPERTIES LABELS unit TIMEOUT 300)
# The zsh test runs the binary: building the unit tests builds it too
# (tools/test.sh -L unit, tools/sanitize.sh --unit).
add_dependencies(gwsync_unit_tests gwsync)
