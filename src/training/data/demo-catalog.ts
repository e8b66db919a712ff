/**
 * Catalog of the demo store: 12 categories in two clusters (sport, coffee and tea), 40 fictional
 * brands, and items whose titles read as `Brand Adjective Noun, Variant`
 * (e.g. 'Kestrel Cushioned Trail Runner, Navy'). Prices are lognormal around the category median
 * times the brand's price level. Each item also gets two hidden traits that drive the shoppers'
 * click model: an appeal (lognormal, which skews popularity) and a style position in [0, 1)
 * (items with close styles are browsed one after another).
 */
import type { ItemMeta } from '../../core/types.js';
import type { Random } from '../../core/random.js';

/** A category of the demo store with the words of its titles and its complementary categories. */
export interface DemoCategory {
  name: string;
  cluster: 'sport' | 'kitchen';
  nouns: readonly string[];
  variants: readonly string[];
  /** Median price in the store's currency. */
  medianPrice: number;
  /** Categories that shoppers move to after buying here, e.g. socks after shoes. */
  complements: readonly string[];
  /** Relative share of the catalog. */
  share: number;
}

const COLORS = ['Black', 'White', 'Navy', 'Red', 'Olive', 'Grey', 'Sand', 'Teal', 'Coral', 'Forest Green'];
const ROASTS = ['Colombia', 'Ethiopia', 'Guatemala', 'Sumatra', 'Dark Roast', 'Medium Roast', 'House Blend', 'Kenya'];
const TEAS = ['Jasmine', 'Peppermint', 'Earl Grey', 'Chamomile', 'Ginger', 'Lemon', 'Hibiscus', 'Rooibos'];
const SIZES = ['350 ml', '500 ml', '750 ml', '1 l'];

/** The 12 demo categories. */
export const DEMO_CATEGORIES: readonly DemoCategory[] = [
  { name: 'Running shoes', cluster: 'sport', nouns: ['Running Shoe', 'Trail Runner', 'Racing Flat', 'Road Trainer'], variants: COLORS, medianPrice: 95, complements: ['Running socks', 'Sports watches', 'Activewear'], share: 1.4 },
  { name: 'Running socks', cluster: 'sport', nouns: ['Running Socks', 'Compression Socks', 'Ankle Socks'], variants: COLORS, medianPrice: 14, complements: ['Running shoes', 'Activewear'], share: 0.7 },
  { name: 'Sports watches', cluster: 'sport', nouns: ['GPS Watch', 'Fitness Tracker', 'Smartwatch'], variants: COLORS, medianPrice: 180, complements: ['Headphones', 'Running shoes'], share: 0.8 },
  { name: 'Headphones', cluster: 'sport', nouns: ['Wireless Earbuds', 'Over-Ear Headphones', 'Sport Earphones'], variants: COLORS, medianPrice: 90, complements: ['Sports watches', 'Backpacks'], share: 1.0 },
  { name: 'Backpacks', cluster: 'sport', nouns: ['Daypack', 'Laptop Backpack', 'Hydration Pack', 'Roll-Top Pack'], variants: COLORS, medianPrice: 70, complements: ['Water bottles', 'Headphones'], share: 0.9 },
  { name: 'Water bottles', cluster: 'sport', nouns: ['Water Bottle', 'Insulated Flask', 'Squeeze Bottle'], variants: SIZES, medianPrice: 22, complements: ['Backpacks', 'Yoga mats'], share: 0.7 },
  { name: 'Yoga mats', cluster: 'sport', nouns: ['Yoga Mat', 'Travel Mat', 'Cork Mat'], variants: COLORS, medianPrice: 45, complements: ['Activewear', 'Water bottles'], share: 0.7 },
  { name: 'Activewear', cluster: 'sport', nouns: ['Leggings', 'Training Tee', 'Running Shorts', 'Track Jacket'], variants: COLORS, medianPrice: 40, complements: ['Running shoes', 'Yoga mats'], share: 1.3 },
  { name: 'Coffee', cluster: 'kitchen', nouns: ['Espresso Beans', 'Ground Coffee', 'Whole Beans', 'Cold Brew Blend'], variants: ROASTS, medianPrice: 15, complements: ['Coffee gear', 'Mugs'], share: 1.2 },
  { name: 'Coffee gear', cluster: 'kitchen', nouns: ['Burr Grinder', 'Pour-Over Kettle', 'French Press', 'Milk Frother'], variants: COLORS, medianPrice: 60, complements: ['Coffee', 'Mugs'], share: 0.9 },
  { name: 'Tea', cluster: 'kitchen', nouns: ['Loose Leaf Tea', 'Tea Bags', 'Herbal Infusion', 'Chai Blend'], variants: TEAS, medianPrice: 12, complements: ['Mugs', 'Coffee gear'], share: 0.8 },
  { name: 'Mugs', cluster: 'kitchen', nouns: ['Travel Mug', 'Ceramic Mug', 'Tumbler', 'Espresso Cups'], variants: COLORS, medianPrice: 18, complements: ['Coffee', 'Tea'], share: 0.6 },
];

const BRAND_NAMES = [
  'Aldercrest', 'Bluefin', 'Brightside', 'Cedar & Co', 'Copperline', 'Driftline', 'Dunewalk', 'Emberly',
  'Evergreen Works', 'Fieldhouse', 'Foxglove', 'Granite Goods', 'Halcyon', 'Harbor Lane', 'Ironleaf', 'Juniper',
  'Kestrel', 'Larkspur', 'Lumen', 'Meridian', 'Moonbrew', 'Nomad Supply', 'Northpeak', 'Oakridge',
  'Pinewood', 'Quarry', 'Redtail', 'Ridgeway', 'Saltmarsh', 'Sprig', 'Stillwater', 'Tidewater',
  'Trailborn', 'Umber', 'Upland', 'Vantage', 'Velo Verde', 'Westbrook', 'Wildmere', 'Zephyr',
];

const ADJECTIVES = ['Classic', 'Lightweight', 'Everyday', 'Premium', 'Compact', 'Essential', 'Ultra', 'Pro', 'Eco', 'Signature', 'Cushioned', 'Rugged'];

/** A brand with the categories it sells in and its price level (multiplier of the median price). */
export interface DemoBrand {
  name: string;
  categories: number[];
  priceLevel: number;
}

/** An item with its hidden traits; `meta` is what the Dataset exposes. */
export interface DemoItem {
  meta: ItemMeta;
  category: number;
  brand: number;
  /** Popularity weight, lognormal with median 1. */
  appeal: number;
  /** Position in [0, 1) on a circle of styles; neighbors in style are browsed together. */
  style: number;
  /** Price divided by the category median. */
  priceRatio: number;
}

/** Draws the 40 brands: each sells in 1–3 categories of one cluster, at its own price level. */
export function generateBrands(random: Random): DemoBrand[] {
  const brands = BRAND_NAMES.map((name, b): DemoBrand => {
    const home = b % DEMO_CATEGORIES.length;
    const cluster = DEMO_CATEGORIES.map((category, c) => c).filter((c) => DEMO_CATEGORIES[c].cluster === DEMO_CATEGORIES[home].cluster && c !== home);
    const extra = random.shuffle(cluster).slice(0, random.int(3));
    return { name, categories: [home, ...extra], priceLevel: Math.exp(0.3 * random.normal()) };
  });
  return brands;
}

/** Draws `count` items with ids 'p0001'…, titles, categories, brands, prices and tags. */
export function generateItems(random: Random, brands: readonly DemoBrand[], count: number): DemoItem[] {
  const width = Math.max(4, String(count).length);
  const shares = DEMO_CATEGORIES.map((category) => category.share);
  const brandsOf = DEMO_CATEGORIES.map((_, c) => brands.map((brand, b) => b).filter((b) => brands[b].categories.includes(c)));

  return Array.from({ length: count }, (_, i): DemoItem => {
    const category = random.weighted(shares);
    const spec = DEMO_CATEGORIES[category];
    const brand = random.pick(brandsOf[category]);
    const adjective = random.pick(ADJECTIVES);
    const noun = random.pick(spec.nouns);
    const variant = random.pick(spec.variants);
    const priceRatio = brands[brand].priceLevel * Math.exp(0.25 * random.normal());
    const price = Math.max(2.99, Math.round(spec.medianPrice * priceRatio) - 0.01);
    const meta: ItemMeta = {
      id: `p${String(i + 1).padStart(width, '0')}`,
      title: `${brands[brand].name} ${adjective} ${noun}, ${variant}`,
      category: spec.name,
      brand: brands[brand].name,
      price: Number(price.toFixed(2)),
      tags: [slug(spec.name), slug(brands[brand].name), slug(noun), slug(variant), priceBand(priceRatio)],
    };
    return { meta, category, brand, appeal: Math.exp(random.normal()), style: random.next(), priceRatio };
  });
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function priceBand(ratio: number): string {
  if (ratio < 0.8) return 'budget';
  return ratio > 1.25 ? 'premium' : 'mid-range';
}
