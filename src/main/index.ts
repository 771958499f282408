// The Electron entry: a thin shell over the server core (see desktop/app.ts).
import { runDesktopApp } from './desktop/app'

void runDesktopApp()
