package dev.sparsekernels.bench.probe;

import dev.sparsekernels.cpu.DenseGemm;
import dev.sparsekernels.cpu.DenseWeights;
import dev.sparsekernels.cpu.Sparse24Gemm;
import dev.sparsekernels.cpu.Sparse24Panels;
import dev.sparsekernels.cpu.Sparse24Weights;
import java.util.Random;

/**
 * The 2:4 paths for prepared weights side by side, one process, best of 5 per round: the dense prepared path
 * ({@code DenseWeights}), the one-off 2:4 path ({@code Sparse24Weights}: X packed, C^T written back) and the 16-row
 * panels ({@code Sparse24Panels}: Y in place, lane permutes). Usage: {@code Sparse24PanelsProbe TOKENS IN OUT}
 * (MiniLM's shapes: 4096 384 1536, 4096 1536 384, 4096 384 384); 2 threads. Run with {@code --add-modules
 * jdk.incubator.vector}.
 */
public final class Sparse24PanelsProbe {
    private Sparse24PanelsProbe() {}

  public static void main(String[] a) {
    int tokens=Integer.parseInt(a[0]), in=Integer.parseInt(a[1]), out=Integer.parseInt(a[2]);
    Random r=new Random(1); float[] w=new float[out*in]; for(int i=0;i<w.length;i++) w[i]=r.nextFloat()-0.5f;
    float[] x=new float[tokens*in]; for(int i=0;i<x.length;i++) x[i]=r.nextFloat()-0.5f;
    float[] b=new float[out]; float[] y1=new float[tokens*out], y2=new float[tokens*out], y3=new float[tokens*out];
    Sparse24Weights sw=Sparse24Weights.pruneMagnitude(w,out,in); Sparse24Panels sp=Sparse24Panels.of(sw);
    DenseWeights dw=DenseWeights.of(w,out,in);
    for(int round=0;round<6;round++){
      long bd=Long.MAX_VALUE,bo=Long.MAX_VALUE,bp=Long.MAX_VALUE;
      for(int i=0;i<5;i++){
        long t0=System.nanoTime(); DenseGemm.linear(x,tokens,dw,b,y1,2); bd=Math.min(bd,System.nanoTime()-t0);
        t0=System.nanoTime(); Sparse24Gemm.linear(x,tokens,in,sw,b,y2,2); bo=Math.min(bo,System.nanoTime()-t0);
        t0=System.nanoTime(); Sparse24Gemm.linear(x,tokens,sp,b,y3,2); bp=Math.min(bp,System.nanoTime()-t0);
      }
      double md=0; for(int i=0;i<y2.length;i++) md=Math.max(md,Math.abs(y2[i]-y3[i]));
      System.out.printf("%dx%dx%d dense prepared %.2f ms | 2:4 one-off %.2f | 2:4 panels %.2f ms (panels vs dense %.2fx, vs one-off %.2fx; max diff %.1e)%n",tokens,in,out,bd/1e6,bo/1e6,bp/1e6,(double)bd/bp,(double)bo/bp,md);
    }
  }
}
