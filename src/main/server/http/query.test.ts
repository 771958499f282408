import { describe, expect, it } from 'vitest'
import { AppError } from '../errors'
import { stringParam, wholeNumberParam } from '.'

const req = (query: Record<string, unknown>) => ({ query })

function refusal(run: () => unknown): AppError {
  try {
    run()
  } catch (err) {
    if (err instanceof AppError) return err
    throw err
  }
  throw new Error('expected a refusal')
}

describe('stringParam', () => {
  it('reads one value, absent is undefined', () => {
    expect(stringParam(req({ q: 'fox' }), 'q')).toBe('fox')
    expect(stringParam(req({}), 'q')).toBeUndefined()
  })

  it('answers a repeated or nested parameter with a 400 that names it', () => {
    for (const value of [['a', 'b'], { x: '1' }]) {
      const err = refusal(() => stringParam(req({ q: value }), 'q'))
      expect(err.status).toBe(400)
      expect(err.info.message).toContain('q must be given once')
    }
  })
})

describe('wholeNumberParam', () => {
  const page = { fallback: 1, min: 1, max: 100 }

  it('reads a whole number in range; absent or empty is the fallback', () => {
    expect(wholeNumberParam(req({ page: '7' }), 'page', page)).toBe(7)
    expect(wholeNumberParam(req({}), 'page', page)).toBe(1)
    expect(wholeNumberParam(req({ page: '' }), 'page', page)).toBe(1)
    expect(wholeNumberParam(req({ offset: '0' }), 'offset', { fallback: 0, min: 0, max: 10 })).toBe(0)
  })

  it.each([['abc'], ['0'], ['101'], ['-1'], ['1.5'], ['07'], [' 7'], ['1e2'], ['9999999999']])('answers page=%s with a 400 naming the range', (value) => {
    const err = refusal(() => wholeNumberParam(req({ page: value }), 'page', page))
    expect(err.status).toBe(400)
    expect(err.info.message).toContain('page must be a whole number from 1 to 100.')
  })

  it('refuses a repeated parameter', () => {
    expect(refusal(() => wholeNumberParam(req({ page: ['1', '2'] }), 'page', page)).status).toBe(400)
  })

  it('takes the maximum for a larger value when asked to cap (API limits), still refusing what is below the minimum', () => {
    const limit = { fallback: 20, min: 1, max: 50, capAtMax: true }
    expect(wholeNumberParam(req({ limit: '500' }), 'limit', limit)).toBe(50)
    expect(refusal(() => wholeNumberParam(req({ limit: '0' }), 'limit', limit)).status).toBe(400)
  })

  it('gives the fallback for anything unreadable when lenient', () => {
    const lenient = { ...page, lenient: true }
    for (const value of ['abc', '0', '101', ['1', '2']]) expect(wholeNumberParam(req({ page: value }), 'page', lenient)).toBe(1)
    expect(wholeNumberParam(req({ page: '3' }), 'page', lenient)).toBe(3)
  })
})
