export { feedRoutes, chooseFeedFormat, type FeedRoutesDeps } from './routes'
export { buildRss, buildAtom, buildJsonFeed, buildOpml, absoluteHtml, itemHtml, itemTitle, FEED_TYPES, type FeedData, type FeedFormat } from './build'
