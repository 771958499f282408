// SKELETON: the console helper builds the React + zustand console here.
import { createRoot } from 'react-dom/client'

const root = document.getElementById('root')
if (root) createRoot(root).render(<p>StarPunk console</p>)
