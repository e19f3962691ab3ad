// Diffusion Studio - the desktop application (wiring only).
// SPDX-License-Identifier: GPL-3.0-or-later
#include <QApplication>

#include "ui/main_window.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("DiffusionStudio"));
  QApplication::setApplicationName(QStringLiteral("Diffusion Studio"));
  QApplication::setApplicationVersion(QStringLiteral(DS_VERSION));
  // Wayland's app id: lets the desktop match the window to the installed .desktop file and icon.
  QGuiApplication::setDesktopFileName(QStringLiteral("io.github.diffusion_studio.DiffusionStudio"));
  QApplication::setWindowIcon(ds::ui::MainWindow::applicationIcon());

  ds::ui::MainWindow window;
  window.show();
  return app.exec();
}
