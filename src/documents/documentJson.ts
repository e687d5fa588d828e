import * as Y from 'yjs';

/** A document's root types as JSON, for backends that do not speak Yjs (`GET ...?format=json`). */
export type DocumentJson = Record<string, unknown>;

type RootKind = 'text' | 'map' | 'array' | 'xml' | 'unknown';
type RootType = NonNullable<ReturnType<Y.Doc['share']['get']>>;

/**
 * An update does not say which kind each root type is: Yjs names roots by string and learns the
 * kind only when the application calls `doc.getText(name)` and so on. The kind is inferred from
 * the content, as Yjs itself would have built it:
 * - keyed entries (`_map`) and no list content: a Y.Map -> an object;
 * - list content of strings, formats or embeds: a Y.Text -> its string (formatting dropped);
 * - list content of XML elements or XML text: a Y.XmlFragment -> its XML string;
 * - any other list content: a Y.Array -> an array;
 * - nothing live left (all deleted, so the kind cannot be told): null.
 * Nested types carry their kind in the update, so they convert as Yjs's `toJSON` does
 * (nested text as a string, nested XML as its XML string).
 */
export function documentToJson(state: Uint8Array): DocumentJson {
  const doc = new Y.Doc();
  try {
    Y.applyUpdate(doc, state);
    const json: DocumentJson = {};
    for (const name of [...doc.share.keys()].sort()) json[name] = rootJson(doc, name);
    return json;
  } finally {
    doc.destroy();
  }
}

function rootJson(doc: Y.Doc, name: string): unknown {
  switch (rootKind(doc.share.get(name)!)) {
    case 'map':
      return doc.getMap(name).toJSON();
    case 'text':
      return doc.getText(name).toString();
    case 'xml':
      return doc.getXmlFragment(name).toString();
    case 'array':
      return doc.getArray(name).toJSON();
    case 'unknown':
      return null;
  }
}

function rootKind(type: RootType): RootKind {
  if (type instanceof Y.Text) return 'text';
  if (type instanceof Y.XmlFragment) return 'xml';
  if (type instanceof Y.Array) return 'array';
  if (type instanceof Y.Map) return 'map';
  for (let item = type._start; item !== null; item = item.right) {
    if (item.deleted) continue;
    const content = item.content;
    if (content instanceof Y.ContentString || content instanceof Y.ContentFormat || content instanceof Y.ContentEmbed) return 'text';
    if (content instanceof Y.ContentType && (content.type instanceof Y.XmlElement || content.type instanceof Y.XmlText || content.type instanceof Y.XmlHook)) return 'xml';
    return 'array';
  }
  for (const item of type._map.values()) if (!item.deleted) return 'map';
  return 'unknown';
}
