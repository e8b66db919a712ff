/**
 * Generated product images: an inline SVG drawn from the item's id, category and brand alone, so
 * the same item always gets the same picture and the demo needs no image files. The brand picks
 * the background tint, a colour word in the title (else the brand) colours the product, the title
 * (else the category) picks the glyph, and the id places the background decoration.
 */
import type { CatalogItem } from './catalog.js';

type Glyph = (fill: string, dark: string, light: string) => string;

/** FNV-1a, 32 bit: a fast, stable string hash; not for anything security related. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Hue in degrees for a brand (or any label), the same on every page load. */
export function hueOf(label: string): number {
  return hashString(label.toLowerCase()) % 360;
}

function gearPath(cx: number, cy: number, outer: number, inner: number, teeth: number): string {
  const points: string[] = [];
  for (let i = 0; i < teeth * 2; i++) {
    const radius = i % 2 === 0 ? outer : inner;
    for (const offset of [-0.28, 0.28]) {
      const angle = ((i + offset) / (teeth * 2)) * Math.PI * 2;
      points.push(`${(cx + radius * Math.cos(angle)).toFixed(1)},${(cy + radius * Math.sin(angle)).toFixed(1)}`);
    }
  }
  return `M${points.join('L')}Z`;
}

const GLYPHS: Record<string, Glyph> = {
  // Drawn 200 units wide, so it is scaled down to keep a margin like the other glyphs.
  shoe: (fill, dark, light) =>
    `<g transform="translate(14 14) scale(0.86)"><path d="M28 124c0-16 10-24 24-26l30-6c8-26 22-34 40-32l6 2c2 22 20 34 42 40l12 4c12 4 18 12 18 24v10H28z" fill="${fill}"/>` +
    `<rect x="24" y="146" width="156" height="16" rx="8" fill="${dark}"/>` +
    `<path d="M92 86l14 8M100 76l14 8M108 66l14 8" stroke="${light}" stroke-width="6" stroke-linecap="round"/></g>`,
  sock: (fill, dark, light) =>
    `<path d="M78 34h52v86l22 22c14 16 2 36-16 34-6 0-12-3-16-7l-34-34c-6-6-8-12-8-20z" fill="${fill}"/>` +
    `<rect x="78" y="34" width="52" height="20" rx="4" fill="${light}"/><path d="M140 148c10 6 14 16 6 24" stroke="${dark}" stroke-width="10" fill="none" stroke-linecap="round"/>`,
  watch: (fill, dark, light) =>
    `<rect x="78" y="28" width="44" height="144" rx="14" fill="${dark}"/><circle cx="100" cy="100" r="46" fill="${fill}"/>` +
    `<circle cx="100" cy="100" r="34" fill="${light}"/><path d="M100 100V78M100 100l16 10" stroke="${dark}" stroke-width="6" stroke-linecap="round"/>`,
  headphones: (fill, dark, light) =>
    `<path d="M48 118v-18a52 52 0 0 1 104 0v18" stroke="${dark}" stroke-width="12" fill="none"/>` +
    `<rect x="34" y="104" width="34" height="58" rx="14" fill="${fill}"/><rect x="132" y="104" width="34" height="58" rx="14" fill="${fill}"/>` +
    `<rect x="56" y="112" width="12" height="42" rx="6" fill="${light}"/><rect x="132" y="112" width="12" height="42" rx="6" fill="${light}"/>`,
  backpack: (fill, dark, light) =>
    `<path d="M80 52a20 20 0 0 1 40 0" stroke="${dark}" stroke-width="8" fill="none"/><rect x="54" y="50" width="92" height="122" rx="30" fill="${fill}"/>` +
    `<path d="M54 92c20 10 72 10 92 0v-12c-20 10-72 10-92 0z" fill="${dark}"/><rect x="72" y="114" width="56" height="42" rx="10" fill="${light}"/>`,
  mat: (fill, dark, light) =>
    `<rect x="30" y="74" width="128" height="64" rx="32" fill="${fill}"/><ellipse cx="150" cy="106" rx="22" ry="32" fill="${light}"/>` +
    `<ellipse cx="150" cy="106" rx="10" ry="16" fill="none" stroke="${dark}" stroke-width="5"/>` +
    `<rect x="62" y="74" width="10" height="64" fill="${dark}"/><rect x="110" y="74" width="10" height="64" fill="${dark}"/>`,
  shirt: (fill, dark, light) =>
    `<path d="M72 40L34 62l16 32 20-10v86h60V84l20 10 16-32-38-22c-8 14-48 14-56 0z" fill="${fill}"/>` +
    `<path d="M72 40c8 14 48 14 56 0" stroke="${dark}" stroke-width="6" fill="none"/><rect x="70" y="112" width="60" height="8" rx="4" fill="${light}"/>`,
  beans: (fill, dark, light) =>
    `<path d="M60 56h80l6 112H54z" fill="${fill}"/><rect x="56" y="40" width="88" height="20" rx="4" fill="${dark}"/>` +
    `<ellipse cx="100" cy="112" rx="20" ry="28" fill="${light}" transform="rotate(20 100 112)"/><path d="M94 88c12 16 0 32 12 48" stroke="${dark}" stroke-width="5" fill="none"/>`,
  kettle: (fill, dark, light) =>
    `<path d="M56 166c-4-56 14-86 44-92 30 6 48 36 44 92z" fill="${fill}"/><path d="M60 120L28 80" stroke="${dark}" stroke-width="8" stroke-linecap="round"/>` +
    `<path d="M142 100c22 0 24 46 0 50" stroke="${dark}" stroke-width="9" fill="none"/><ellipse cx="100" cy="74" rx="26" ry="8" fill="${dark}"/>` +
    `<rect x="74" y="120" width="52" height="8" rx="4" fill="${light}"/>`,
  teacup: (fill, dark, light) =>
    `<path d="M108 36c26 4 34 26 22 44-22-4-30-24-22-44z" fill="${light}" stroke="${dark}" stroke-width="3"/>` +
    `<path d="M46 96h100v18a50 50 0 0 1-100 0z" fill="${fill}"/><path d="M146 104c24 0 24 32 0 32" stroke="${dark}" stroke-width="8" fill="none"/>` +
    `<ellipse cx="96" cy="168" rx="66" ry="10" fill="${dark}"/>`,
  mug: (fill, dark, light) =>
    `<path d="M130 90c30 0 30 50 0 50" stroke="${dark}" stroke-width="12" fill="none"/><rect x="56" y="66" width="80" height="104" rx="12" fill="${fill}"/>` +
    `<rect x="56" y="96" width="80" height="16" fill="${light}"/><path d="M80 54c-6-10 6-16 0-26M104 54c-6-10 6-16 0-26" stroke="${dark}" stroke-width="4" fill="none" stroke-linecap="round" opacity="0.5"/>`,
  bottle: (fill, dark, light) =>
    `<rect x="86" y="34" width="28" height="22" rx="4" fill="${dark}"/><rect x="92" y="54" width="16" height="14" fill="${fill}"/>` +
    `<rect x="66" y="66" width="68" height="104" rx="18" fill="${fill}"/><rect x="76" y="100" width="48" height="40" rx="6" fill="${light}"/>`,
  tube: (fill, dark, light) =>
    `<path d="M70 40h60l-8 110H78z" fill="${fill}"/><rect x="66" y="32" width="68" height="12" rx="3" fill="${dark}"/>` +
    `<rect x="88" y="150" width="24" height="22" rx="4" fill="${dark}"/><rect x="84" y="70" width="32" height="44" rx="5" fill="${light}"/>`,
  jar: (fill, dark, light) =>
    `<rect x="52" y="62" width="96" height="26" rx="8" fill="${dark}"/><rect x="56" y="84" width="88" height="84" rx="16" fill="${fill}"/>` +
    `<rect x="70" y="108" width="60" height="34" rx="6" fill="${light}"/>`,
  box: (fill, dark, light) =>
    `<path d="M100 40l56 28v66l-56 28-56-28V68z" fill="${fill}"/><path d="M100 96l56-28v66l-56 28z" fill="${dark}"/>` +
    `<path d="M100 40l56 28-56 28-56-28z" fill="${light}"/>`,
  flask: (fill, dark, light) =>
    `<rect x="84" y="34" width="32" height="10" rx="3" fill="${dark}"/><path d="M88 44h24v40l36 70a10 10 0 0 1-9 14H61a10 10 0 0 1-9-14l36-70z" fill="${fill}"/>` +
    `<path d="M70 126h60l16 32a6 6 0 0 1-5 8H59a6 6 0 0 1-5-8z" fill="${light}"/>`,
  gear: (fill, dark, light) =>
    `<path d="${gearPath(100, 102, 66, 50, 10)}" fill="${fill}"/><circle cx="100" cy="102" r="30" fill="${light}"/><circle cx="100" cy="102" r="14" fill="${dark}"/>`,
  roll: (fill, dark, light) =>
    `<circle cx="100" cy="102" r="64" fill="${fill}"/><circle cx="100" cy="102" r="42" fill="${light}"/><circle cx="100" cy="102" r="24" fill="${dark}"/>`,
  brush: (fill, dark, light) =>
    `<rect x="92" y="86" width="16" height="86" rx="8" fill="${dark}"/><rect x="84" y="70" width="32" height="22" rx="4" fill="${light}"/>` +
    `<path d="M84 72c-4-26 4-44 16-44s20 18 16 44z" fill="${fill}"/>`,
  ruler: (fill, dark, light) =>
    `<g transform="rotate(-30 100 100)"><rect x="24" y="78" width="152" height="44" rx="6" fill="${fill}"/>` +
    Array.from({ length: 13 }, (_, i) => `<rect x="${34 + i * 11}" y="78" width="3" height="${i % 2 === 0 ? 20 : 12}" fill="${dark}"/>`).join('') +
    `<rect x="34" y="108" width="132" height="6" rx="3" fill="${light}"/></g>`,
  shield: (fill, dark, light) =>
    `<path d="M100 32l58 20v44c0 38-26 62-58 74-32-12-58-36-58-74V52z" fill="${fill}"/>` +
    `<path d="M100 52l38 13v31c0 26-17 43-38 52z" fill="${light}"/><path d="M84 100l12 12 22-24" stroke="${dark}" stroke-width="8" fill="none" stroke-linecap="round"/>`,
  bag: (fill, dark, light) =>
    `<path d="M78 72a22 22 0 0 1 44 0" stroke="${dark}" stroke-width="8" fill="none"/><path d="M54 70h92l10 98H44z" fill="${fill}"/>` +
    `<rect x="74" y="104" width="52" height="30" rx="6" fill="${light}"/>`,
  drop: (fill, dark, light) =>
    `<path d="M100 30c26 40 50 66 50 94a50 50 0 0 1-100 0c0-28 24-54 50-94z" fill="${fill}"/>` +
    `<path d="M78 128a24 24 0 0 0 24 24" stroke="${light}" stroke-width="9" fill="none" stroke-linecap="round"/><circle cx="100" cy="120" r="4" fill="${dark}"/>`,
};

/** Keywords that pick a glyph, checked in order against the title and then the category. */
const KEYWORD_GLYPHS: Array<[RegExp, keyof typeof GLYPHS]> = [
  [/mug|cup/, 'mug'],
  [/sock/, 'sock'],
  [/shoe|sneaker|trainer|runner|boot|footwear/, 'shoe'],
  [/watch|tracker/, 'watch'],
  [/headphone|earbud|earphone|audio/, 'headphones'],
  [/backpack|daypack|\bpack\b/, 'backpack'],
  [/water bottle|insulated flask|tumbler/, 'bottle'],
  [/yoga|\bmat\b|mats/, 'mat'],
  [/activewear|apparel|shirt|tee|legging|shorts|jacket|clothing/, 'shirt'],
  [/coffee gear|grinder|kettle|press|frother|brewer/, 'kettle'],
  [/coffee|espresso|beans|roast|brew/, 'beans'],
  [/\btea\b|infusion|chai/, 'teacup'],
  [/perfume|fragrance|cologne|shampoo|conditioner|lotion|toner|spray|bottle|wash|cleaner|solvent|liquid/, 'bottle'],
  [/serum|oil|essence|drop|ink|dye|lubric/, 'drop'],
  [/lip|gloss|tube|paste|cream|adhesive|glue|sealant|caulk|ointment/, 'tube'],
  [/jar|mask|balm|butter|powder|scrub|wax|container|storage/, 'jar'],
  [/brush|comb|makeup|applicator|sponge|tool/, 'brush'],
  [/lab|scien|chem|beaker|flask|pipet|test|medical|microscope/, 'flask'],
  [/industrial|hardware|fastener|motor|power|bearing|gear|mechanic|hydraulic|pneum/, 'gear'],
  [/tape|roll|abrasive|sanding|disc|wheel|cable|wire|hose/, 'roll'],
  [/measure|meter|gauge|ruler|scale|caliper|thermometer|sensor/, 'ruler'],
  [/safety|glove|protect|guard|sun|spf/, 'shield'],
  [/nail|polish|color|colour|shade|eye|face/, 'bottle'],
];

const FALLBACK_GLYPHS = Object.keys(GLYPHS);

/** Colour words of product titles, as [hue, saturation %, lightness %] of the product itself. */
const COLOR_WORDS: Array<[RegExp, [number, number, number]]> = [
  [/forest green/, [140, 33, 28]],
  [/\bblack\b/, [220, 10, 18]],
  [/\bwhite\b/, [40, 20, 94]],
  [/\bnavy\b/, [218, 55, 26]],
  [/\bred\b/, [4, 66, 46]],
  [/\bolive\b/, [70, 45, 32]],
  [/\bgr[ae]y\b/, [215, 8, 56]],
  [/\bsand\b/, [38, 45, 72]],
  [/\bteal\b/, [178, 70, 32]],
  [/\bcoral\b/, [10, 85, 66]],
];

/** Returns the colour named in the title, or the brand colour. */
function productColor(title: string | undefined, brandHue: number): [number, number, number] {
  const lower = (title ?? '').toLowerCase();
  const match = COLOR_WORDS.find(([pattern]) => pattern.test(lower));
  return match ? match[1] : [brandHue, 62, 52];
}

/**
 * Picks the glyph of an item: the first keyword match in its title (the most specific text), then
 * in its category, then a hash of the category.
 */
export function glyphOf(item: Pick<CatalogItem, 'category' | 'title'>): keyof typeof GLYPHS {
  for (const text of [item.title, item.category]) {
    const lower = (text ?? '').toLowerCase();
    if (!lower) continue;
    const match = KEYWORD_GLYPHS.find(([pattern]) => pattern.test(lower));
    if (match) return match[1];
  }
  return FALLBACK_GLYPHS[hashString(item.category ?? item.title ?? '') % FALLBACK_GLYPHS.length];
}

/** Returns SVG markup for an item's picture. The markup contains no catalog text, so it is safe as innerHTML. */
export function productImage(item: Pick<CatalogItem, 'id' | 'category' | 'brand' | 'title'>): string {
  const hue = hueOf(item.brand ?? item.category ?? item.id);
  const seed = hashString(item.id);
  const [colorHue, saturation, lightness] = productColor(item.title, hue);
  const fill = `hsl(${colorHue} ${saturation}% ${lightness}%)`;
  // Details are darker than the product unless the product itself is dark, so they stay visible.
  const dark = lightness < 30 ? `hsl(${hue} 30% 62%)` : `hsl(${colorHue} ${Math.min(saturation, 55)}% ${Math.max(lightness - 24, 16)}%)`;
  const light = lightness > 85 ? `hsl(${hue} 55% 80%)` : `hsl(${colorHue} ${Math.min(saturation, 70)}% 90%)`;
  // The brand colour tints the background, so one brand's products look like a family.
  const background = `hsl(${hue} 45% ${lightness > 85 ? 84 : 95}%)`;
  const accent = `hsl(${hue} 60% 82%)`;

  // Two soft circles placed by the id, so items of one brand and category still look distinct.
  const circles = [0, 1]
    .map((index) => {
      const bits = seed >>> (index * 12);
      const cx = 20 + (bits & 0xff) % 160;
      const cy = 20 + ((bits >>> 8) & 0xff) % 160;
      const r = 18 + ((bits >>> 4) & 0x1f);
      return `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${index === 0 ? accent : light}" opacity="0.7"/>`;
    })
    .join('');

  const glyph = GLYPHS[glyphOf(item)](fill, dark, light);
  return `<svg viewBox="0 0 200 200" xmlns="http://www.w3.org/2000/svg" role="img" aria-hidden="true" preserveAspectRatio="xMidYMid slice">` +
    `<rect width="200" height="200" fill="${background}"/>${circles}` +
    `<ellipse cx="100" cy="178" rx="56" ry="8" fill="${dark}" opacity="0.15"/>${glyph}</svg>`;
}
