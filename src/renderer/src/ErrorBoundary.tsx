import { Component, type ErrorInfo as ReactErrorInfo, type ReactNode } from 'react'

interface Props {
  /** What failed, for the message: "The logs panel", "The console". */
  where: string
  children: ReactNode
}

interface State {
  error: Error | null
}

/** Catches a render error below it and shows it with a way to try again, instead of a blank window. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null }

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) }
  }

  override componentDidCatch(error: unknown, info: ReactErrorInfo): void {
    // Reaches the desktop app's log (console-message) and the browser's console.
    console.error('console render error', error, info.componentStack)
  }

  override render(): ReactNode {
    const { error } = this.state
    if (!error) return this.props.children
    return (
      <article className="problem problem-fail" role="alert" data-testid="render-error">
        <header>
          <span className="problem-code">RENDER_ERROR</span>
          <span className="problem-message">{this.props.where} stopped working: {error.message}</span>
        </header>
        <p className="problem-suggestion">
          <strong>What to do:</strong> try again; if it keeps happening, reload the window and report the message above.
        </p>
        <p>
          <button type="button" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
        </p>
      </article>
    )
  }
}
