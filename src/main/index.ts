// SKELETON: the Electron shell (thin) lives here; it imports the server core unchanged.
export {}
