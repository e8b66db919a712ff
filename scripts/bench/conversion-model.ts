/**
 * Conversion model of the experiment bench. After a simulated shopper clicks a recommended item,
 * the item goes to the cart with probability pCart · match, and a carted item is bought with
 * probability pBuy. `match` = 1 - exp(-utility · categoryFactor) is the shopper's hidden taste for
 * the item in [0, 1), the click model's score without its gamma scale, so a better-matched
 * click converts more often. The draws hash (shopper seed, interaction, 3 or 4, item), so both
 * arms of one run face the same draws, like the click model's.
 */
import type { DemoCatalogIndex } from '../../src/training/data/demo-shoppers.js';
import { clickProbability, uniform, type SimulatedShopper } from './adaptation-shoppers.js';

/** Parameters of the conversion model. */
export interface ConversionModel {
  /** Probability in [0, 1] that a clicked item with a perfect taste match goes to the cart. */
  pCart: number;
  /** Probability in [0, 1] that a carted item is bought. */
  pBuy: number;
}

/** Outcome of one click: whether the item went to the cart and whether it was bought. */
export interface ClickConversion {
  addToCart: boolean;
  purchase: boolean;
}

/** Returns the shopper's taste match of an item, 1 - exp(-utility · categoryFactor), in [0, 1). */
export function tasteMatch(catalog: DemoCatalogIndex, shopper: SimulatedShopper, item: number): number {
  return clickProbability(catalog, shopper.taste, item, 1);
}

/** Draws the cart and purchase that follow the shopper's click on `item` at interaction `step`. */
export function answerClick(catalog: DemoCatalogIndex, shopper: SimulatedShopper, step: number, item: number, model: ConversionModel): ClickConversion {
  const addToCart = uniform(shopper.seed, step, 3, item) < model.pCart * tasteMatch(catalog, shopper, item);
  const purchase = addToCart && uniform(shopper.seed, step, 4, item) < model.pBuy;
  return { addToCart, purchase };
}
