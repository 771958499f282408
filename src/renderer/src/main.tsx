import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { ClientContext, createConsoleClient } from './api'
import { ErrorBoundary } from './ErrorBoundary'
import { createConsoleStore } from './store'
import { chooseTransport } from './transport'
import './styles.css'

const root = document.getElementById('root')
if (root) {
  // The app makes its one transport and store here, at start; no module creates them on import.
  const client = createConsoleClient(chooseTransport(window), createConsoleStore())
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary where="The console">
        <ClientContext.Provider value={client}>
          <App />
        </ClientContext.Provider>
      </ErrorBoundary>
    </StrictMode>,
  )
}
