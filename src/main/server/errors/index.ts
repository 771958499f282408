export { ERROR_CATALOG, type ErrorCode, type CatalogEntry } from './catalog'
export { AppError, UserError, SystemError, appError, errorInfo, type AppErrorOptions } from './app-error'
export { errorHandler, notFoundHandler, methodNotAllowed, wantsJson, errorFormat, type ErrorFormat, toAppError, errorBody, clientErrorHandler } from './http'
