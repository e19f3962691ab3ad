# Diffusion Studio - CTest test_desktop_metadata: validates the .desktop and AppStream files.
#
#   cmake -DDESKTOP_FILE_VALIDATE=... -DAPPSTREAMCLI=... -DDESKTOP_FILE=... -DMETAINFO_FILE=...
#         -P validate_metadata.cmake
#
# desktop-file-validate: errors and warnings fail (hints pass). appstreamcli validate --strict:
# errors, warnings and infos fail (pedantic notes pass). --no-net: the test runs offline.
# SPDX-License-Identifier: GPL-3.0-or-later

set(failed FALSE)

execute_process(COMMAND "${DESKTOP_FILE_VALIDATE}" "${DESKTOP_FILE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("$ desktop-file-validate ${DESKTOP_FILE}\n${out}(exit code ${rc})")
if(NOT rc EQUAL 0 OR out MATCHES "(error|warning): ")
  message(SEND_ERROR "desktop-file-validate reported errors or warnings for ${DESKTOP_FILE}")
  set(failed TRUE)
endif()

execute_process(COMMAND "${APPSTREAMCLI}" validate --no-net --strict --explain "${METAINFO_FILE}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("$ appstreamcli validate --no-net --strict --explain ${METAINFO_FILE}\n${out}(exit code ${rc})")
if(NOT rc EQUAL 0)
  message(SEND_ERROR "appstreamcli validate failed for ${METAINFO_FILE}")
  set(failed TRUE)
endif()

# The metainfo's launchable must name the .desktop file, and the .desktop's Icon the installed icon.
get_filename_component(desktop_id "${DESKTOP_FILE}" NAME)
string(REGEX REPLACE "\\.desktop$" "" app_id "${desktop_id}")
file(READ "${METAINFO_FILE}" metainfo)
if(NOT metainfo MATCHES "<launchable type=\"desktop-id\">${desktop_id}</launchable>")
  message(SEND_ERROR "${METAINFO_FILE}: <launchable type=\"desktop-id\"> is not ${desktop_id}")
  set(failed TRUE)
endif()
if(NOT metainfo MATCHES "<id>${app_id}</id>")
  message(SEND_ERROR "${METAINFO_FILE}: <id> is not ${app_id}")
  set(failed TRUE)
endif()
file(STRINGS "${DESKTOP_FILE}" icon_line REGEX "^Icon=")
if(NOT icon_line STREQUAL "Icon=${app_id}")
  message(SEND_ERROR "${DESKTOP_FILE}: expected Icon=${app_id}, found '${icon_line}'")
  set(failed TRUE)
endif()

if(failed)
  message(FATAL_ERROR "test_desktop_metadata failed")
endif()
