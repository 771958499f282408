import type { ReactNode } from 'react'
import type { StoredMention } from './types'

/** Our copy of each author photo, by remote URL (absent: not copied, or dead: a placeholder is shown). */
export type AvatarLookup = ReadonlyMap<string, { url: string } | null>

const DATE_FORMAT = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' })

function hostOf(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return url
  }
}

function nameOf(mention: StoredMention): string {
  return mention.author.name ?? (mention.author.url ? hostOf(mention.author.url) : mention.sourceHost)
}

/** An author's picture from our own media, or their initial: never an image from another host. */
function Avatar({ mention, avatars }: { mention: StoredMention; avatars: AvatarLookup }) {
  const local = mention.author.photo ? avatars.get(mention.author.photo) : null
  if (local) return <img className="u-photo avatar" src={local.url} alt="" width={32} height={32} loading="lazy" />
  return (
    <span className="avatar avatar-placeholder" aria-hidden="true">
      {Array.from(nameOf(mention))[0]?.toUpperCase() ?? '?'}
    </span>
  )
}

function AuthorCard({ mention, avatars, showName }: { mention: StoredMention; avatars: AvatarLookup; showName: boolean }) {
  const name = nameOf(mention)
  const inner = (
    <>
      <Avatar mention={mention} avatars={avatars} /> <span className={showName ? 'p-name' : 'p-name visually-hidden'}>{name}</span>
    </>
  )
  return (
    <span className="p-author h-card">
      {mention.author.url ? (
        <a className="u-url" href={mention.author.url} rel="nofollow ugc">
          {inner}
        </a>
      ) : (
        inner
      )}
    </span>
  )
}

/** Likes or reposts: one row of avatars, each an h-cite linking to the post that liked or reposted. */
function Facepile({ title, property, mentions, avatars }: { title: string; property: string; mentions: StoredMention[]; avatars: AvatarLookup }) {
  if (mentions.length === 0) return null
  return (
    <section className="responses-group">
      <h3>
        {mentions.length} {title}
      </h3>
      <ul className="facepile">
        {mentions.map((mention) => (
          <li key={mention.id} className={`${property} h-cite`} title={nameOf(mention)}>
            <AuthorCard mention={mention} avatars={avatars} showName={false} />
            <a className="u-url visually-hidden" href={mention.url} rel="nofollow ugc">
              {title.toLowerCase()} by {nameOf(mention)}
            </a>
          </li>
        ))}
      </ul>
    </section>
  )
}

function Reply({ mention, avatars }: { mention: StoredMention; avatars: AvatarLookup }) {
  return (
    <li className="p-comment h-cite reply">
      <p className="reply-meta">
        <AuthorCard mention={mention} avatars={avatars} showName />{' '}
        <a className="u-url" href={mention.url} rel="nofollow ugc">
          {mention.published ? (
            <time className="dt-published" dateTime={mention.published}>
              {DATE_FORMAT.format(new Date(mention.published))}
            </time>
          ) : (
            'replied'
          )}
        </a>
      </p>
      {mention.contentHtml ? (
        <div className="e-content p-content" dangerouslySetInnerHTML={{ __html: mention.contentHtml }} />
      ) : (
        mention.contentText && <p className="p-content">{mention.contentText}</p>
      )}
    </li>
  )
}

const MENTION_WORDS: Record<string, string> = { bookmark: 'bookmarked this', mention: 'mentioned this', rsvp: 'RSVP' }

/**
 * The responses under a note, from approved Webmentions: likes and reposts as rows of avatars, replies (and
 * RSVPs' words) as p-comment h-cite in date order, bookmarks and mentions as links. Null when there are none.
 */
export function Responses({ mentions, avatars }: { mentions: StoredMention[]; avatars: AvatarLookup }): ReactNode {
  if (mentions.length === 0) return null
  const likes = mentions.filter((m) => m.type === 'like')
  const reposts = mentions.filter((m) => m.type === 'repost')
  const replies = mentions.filter((m) => m.type === 'reply')
  const others = mentions.filter((m) => m.type === 'mention' || m.type === 'bookmark' || m.type === 'rsvp')
  return (
    <section className="responses" aria-labelledby="responses-heading">
      <h2 id="responses-heading">Responses</h2>
      <Facepile title="Likes" property="p-like" mentions={likes} avatars={avatars} />
      <Facepile title="Reposts" property="p-repost" mentions={reposts} avatars={avatars} />
      {replies.length > 0 && (
        <section className="responses-group">
          <h3>
            {replies.length} {replies.length === 1 ? 'Reply' : 'Replies'}
          </h3>
          <ol className="replies">
            {replies.map((mention) => (
              <Reply key={mention.id} mention={mention} avatars={avatars} />
            ))}
          </ol>
        </section>
      )}
      {others.length > 0 && (
        <section className="responses-group">
          <h3>Mentions</h3>
          <ul className="mentions">
            {others.map((mention) => (
              <li key={mention.id} className={`${mention.type === 'rsvp' ? 'p-comment' : 'p-mention'} h-cite`}>
                <span className="p-author h-card">
                  <span className="p-name">{nameOf(mention)}</span>
                </span>{' '}
                <a className="u-url" href={mention.url} rel="nofollow ugc">
                  {mention.type === 'rsvp' ? `RSVP ${mention.rsvp ?? ''}`.trim() : (MENTION_WORDS[mention.type] ?? 'mentioned this')}
                </a>
                {mention.type === 'rsvp' && mention.rsvp && <data className="p-rsvp" value={mention.rsvp} />}
              </li>
            ))}
          </ul>
        </section>
      )}
    </section>
  )
}
